/**
 * `sst deploy`, offline: what SST's CLI does before Pulumi talks to AWS, done here with SST's own pieces,
 * and Pulumi's mock engine in place of AWS.
 *
 * 1. `infra/sst-platform.mjs` makes sure `.sst/platform` (SST's components, as `sst install` writes them)
 *    is installed.
 * 2. app(): sst.config.ts is bundled and evaluated the way the CLI does it (pkg/project/project.go):
 *    esbuild with `$config` as the identity and `$input` defined, top-level imports refused.
 * 3. run(): the program is bundled with the CLI's options (pkg/project/run.go, pkg/js/js.go):
 *    `$app`, `$cli`, `$dev` defined as JSON, `platform/src/shim/run.js` injected (`$util`, `$interpolate`,
 *    `$transform`, …), the provider and `sst` namespaces imported at the top of every user file
 *    (`import * as aws from "@pulumi/aws"`, `import * as sst from ".sst/platform/src/components"`),
 *    `@pulumi/*` and the like kept external, the entry `await run(mod.run)` from `platform/src/auto/run.ts`.
 * 4. The bundle runs in a child process (sst-stack-runner.mjs) as Pulumi's Node host runs it, under
 *    `pulumi.runtime.setMocks`; it reports every resource registration. Its environment is the deploying
 *    shell's as a test sets it (OPENDUCK_TOKEN, …): the CLI passes its own environment to the program.
 * 5. Meanwhile this process answers the RPCs the components make to the CLI (`SST_SERVER`):
 *    `Provider.Aws.Bootstrap` with a made-up bootstrap bucket, and `Runtime.Build` like the CLI does for a
 *    function with `bundle` (pkg/runtime/runtime.go, Collection.Build): no esbuild, the bundle folder
 *    itself is the output, the handler is kept as given, and `resource.enc` (the links, encrypted with the
 *    function's key) is written into the folder. The component then zips the folder itself (with
 *    `copyFiles`), as on a deploy; the zips are read back here.
 *
 * The app's root ($cli.paths.root, where the program runs and resolves `functions/dist/<name>`) is a
 * scratch folder into which the test ran `npm run build:functions -- <root>/functions/dist` (see
 * buildFunctions): the same script and output as in the repository, but no other test's build of
 * functions/dist can replace a folder while it is being zipped here.
 *
 * Not done offline: uploading, and anything AWS would check when creating the resources.
 */
import { spawn, spawnSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateRawSync } from "node:zlib";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const platform = join(root, ".sst", "platform");
const runner = fileURLToPath(new URL("./sst-stack-runner.mjs", import.meta.url));

/** The app config as the CLI holds it after evaluating app() (pkg/project/project.go). */
export interface AppConfig {
  name: string;
  stage: string;
  removal: string;
  home: string;
  providers: Record<string, { version?: string } & Record<string, unknown>>;
  [key: string]: unknown;
}

export interface RegisteredResource {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

/** The input of the `Runtime.Build` RPC a Function component sends to the CLI. */
export interface BuildRequest {
  functionID: string;
  handler: string;
  bundle?: string;
  runtime: string;
  links: Record<string, Record<string, unknown>>;
  copyFiles: { from: string; to: string; isDir: boolean }[];
  /** The function's `nodejs` (or `python`) options and its architecture; unused with `bundle`. */
  properties: Record<string, unknown> & { architecture?: string };
  encryptionKey: string;
  dev: boolean;
  isContainer?: boolean;
}

/** A module a bundle loads at run time: `kind` is esbuild's (import-statement, require-call, …). */
export interface BundleImport {
  path: string;
  kind: string;
}

/** A function package as uploaded: the zip the component built from the bundle folder. */
export interface FunctionPackage {
  /** The paths of the files inside the zip (archiver also adds entries for folders: "./", …). */
  entries: string[];
  /** The sum of the files' uncompressed sizes (Lambda allows 250 MB unzipped). */
  unzippedBytes: number;
  /** The sha256 of each entry's contents. */
  digests: Record<string, string>;
  /** `resource.enc` as it is in the zip (the function's links, encrypted with SST_KEY). */
  resourceEnc?: Buffer;
  /** What the handler file still loads at run time (esbuild's externals of the handler as packaged). */
  imports: BundleImport[];
}

export interface StackRun {
  app: AppConfig;
  resources: RegisteredResource[];
  outputs: Record<string, unknown>;
  /** Provider functions the program invoked (aws:iam/getPolicyDocument:…). */
  calls: string[];
  /** RPC methods the components called on the CLI, in order. */
  rpc: string[];
  builds: BuildRequest[];
  /** For each uploaded function package (BucketObjectv2 name, `<Function>Code`): what is in it. */
  packages: Record<string, FunctionPackage>;
  /** Failures of the program: thrown errors, rejected outputs, errors Pulumi logged. */
  errors: string[];
}

// ---------------------------------------------------------------------------------------------------
// esbuild: the one in .sst/platform (SST's CLI embeds esbuild too; the options below are its options).

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number } | null;
}
interface EsbuildResult {
  errors: EsbuildMessage[];
  metafile?: {
    outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
  };
}
interface EsbuildPluginBuild {
  onResolve(
    options: { filter: RegExp },
    callback: (args: {
      path: string;
      importer: string;
      kind: string;
    }) => { errors: { text: string }[] } | undefined,
  ): void;
  onLoad(
    options: { filter: RegExp },
    callback: (args: { path: string }) => Promise<{ contents: string; loader: string } | undefined>,
  ): void;
}
interface Esbuild {
  build(options: Record<string, unknown>): Promise<EsbuildResult>;
}

function esbuild(): Esbuild {
  return createRequire(join(platform, "package.json"))("esbuild") as Esbuild;
}

function formatErrors(error: unknown): string {
  const errors = (error as { errors?: EsbuildMessage[] }).errors;
  if (!errors) return String(error);
  return errors
    .map((e) =>
      e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text,
    )
    .join("\n");
}

const SST_BANNER = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  "const require = topLevelCreateRequire(import.meta.url);",
  'import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"',
  "const __filename = topLevelFileUrlToPath(import.meta.url)",
  'const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))',
].join("\n");

/** pkg/js/js.go Build: the options SST bundles sst.config.ts with (both for app() and for run()). */
async function buildConfig(options: {
  code: string;
  outfile: string;
  banner?: string;
  globals?: string;
  define: Record<string, string>;
  inject?: string[];
}): Promise<void> {
  const globals = options.globals ?? "";
  const sstDir = join(root, ".sst");
  try {
    await esbuild().build({
      banner: { js: `\n${SST_BANNER}\n${options.banner ?? ""}` },
      mainFields: ["module", "main"],
      format: "esm",
      platform: "node",
      sourcemap: "linked",
      stdin: { contents: options.code, resolveDir: root, sourcefile: "eval.ts", loader: "ts" },
      nodePaths: [join(sstDir, "platform", "node_modules")],
      plugins: [
        {
          name: "DisallowImports",
          setup(build: EsbuildPluginBuild) {
            build.onResolve({ filter: /.*/ }, (args) => {
              if (
                globals === "" &&
                basename(args.importer) === "sst.config.ts" &&
                args.kind === "import-statement"
              ) {
                return {
                  errors: [
                    {
                      text: "Your sst.config.ts has top level imports - this is not allowed. Move imports inside the function they are used and do a dynamic import",
                    },
                  ],
                };
              }
              return undefined;
            });
          },
        },
        {
          name: "InjectGlobals",
          setup(build: EsbuildPluginBuild) {
            build.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, async (args) => {
              if (args.path.startsWith(sstDir)) return undefined;
              let contents = await readFile(args.path, "utf8");
              if (!args.path.includes(".sst")) contents = `${globals}\n${contents}`;
              return { contents, loader: "default" };
            });
          },
        },
      ],
      external: [
        "@pulumi/*",
        "undici",
        "@pulumiverse/*",
        "@sst-provider/*",
        "@aws-sdk/*",
        "esbuild",
        "archiver",
        "glob",
        "vite",
      ],
      define: options.define,
      inject: options.inject ?? [],
      outfile: options.outfile,
      write: true,
      bundle: true,
      metafile: true,
      logLevel: "silent",
    });
  } catch (error) {
    throw new Error(`bundling sst.config.ts failed:\n${formatErrors(error)}`);
  }
}

let bundles = 0;
function bundlePath(): string {
  return join(platform, `sst.config.test-${process.pid}-${Date.now()}-${bundles++}.mjs`);
}
async function removeBundle(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.map`, { force: true });
}

// ---------------------------------------------------------------------------------------------------

/** Installs .sst/platform if it is missing or stale (`sst install`, offline but for the npm registry). */
export function ensurePlatform(): void {
  const result = spawnSync(process.execPath, [join(root, "infra", "sst-platform.mjs")], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0)
    throw new Error(`infra/sst-platform.mjs failed (${result.status ?? result.signal})`);
}

/** The versions in .sst/provider-lock.json (what `sst install` put into .sst/platform). */
export async function providerLock(): Promise<
  { name: string; package: string; version: string; alias: string }[]
> {
  return JSON.parse(await readFile(join(root, ".sst", "provider-lock.json"), "utf8"));
}

/** app(), evaluated and normalized as the CLI does for `--stage <stage>`. */
export async function evaluateApp(stage: string): Promise<AppConfig> {
  const outfile = bundlePath();
  try {
    await buildConfig({
      outfile,
      banner: "function $config(input) { return input }",
      define: { $input: JSON.stringify({ stage }) },
      code: [
        `import mod from ${JSON.stringify(join(root, "sst.config.ts"))};`,
        "if (mod.stacks || mod.config) {",
        '  console.log("~v2")',
        "  process.exit(0)",
        "}",
        'console.log("~j" + JSON.stringify(await mod.app({',
        "  stage: $input.stage || undefined,",
        "})))",
      ].join("\n"),
    });
    const node = spawnSync(process.execPath, ["--no-warnings", outfile], { cwd: root, encoding: "utf8" });
    if (node.status !== 0) throw new Error(`evaluating app() failed:\n${node.stdout}${node.stderr}`);
    const line = node.stdout.split("\n").find((l) => l.startsWith("~j"));
    if (line === undefined) throw new Error(`app() printed no config:\n${node.stdout}`);
    const app = JSON.parse(line.slice(2)) as AppConfig;
    app.stage = stage;
    app.providers ??= {};
    for (const [name, args] of Object.entries(app.providers)) {
      if (typeof args === "string") app.providers[name] = { version: args };
    }
    if (app.home !== "local" && app.providers[app.home] === undefined) app.providers[app.home] = {};
    app.removal ||= "retain";
    return app;
  } finally {
    await removeBundle(outfile);
  }
}

/** The extension functions/bundle.mjs puts into the worker (`npm test` builds it before vitest). */
export const extensionPath = join(root, "extension", "build", "release", "openduck.duckdb_extension");

/**
 * `npm run build:functions -- <out>`: the deployed bundles, built by the repository's script into `out`
 * instead of functions/dist (`<app root>/functions/dist` for runStack).
 */
export function buildFunctions(out: string): void {
  if (!existsSync(extensionPath)) {
    throw new Error(
      `${extensionPath} is missing: run \`npm run build:extension\` first (npm test does), then this test`,
    );
  }
  const result = spawnSync("npm", ["run", "build:functions", "--", out], { cwd: root, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(
      `npm run build:functions failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`,
    );
  }
}

export interface StackOptions {
  /**
   * The app's root as the CLI would see it ($cli.paths.root): where the program runs and finds
   * `functions/dist/<name>`. The repository's own files (sst.config.ts, infra/) are bundled from the
   * repository all the same.
   */
  appRoot: string;
  /** The deploying shell's variables (OPENDUCK_TOKEN, …), over this process's minus any OPENDUCK_* / SST_*. */
  env?: Record<string, string>;
}

/** Runs the whole program for `stage` under Pulumi's mocks; see the top of this file. */
export async function runStack(stage: string, options: StackOptions): Promise<StackRun> {
  const app = await evaluateApp(stage);
  const lock = await providerLock();
  const scratch = await mkdtemp(join(tmpdir(), "openduck-sst-"));
  const outfile = bundlePath();
  const server = await startCli();
  try {
    const cli = {
      command: "deploy",
      dev: false,
      paths: {
        home: join(scratch, "home"),
        root: resolve(options.appRoot),
        work: join(scratch, "work"),
        platform,
      },
      state: { version: {} },
    };
    const globals = [
      ...lock.map((entry) => `import * as ${entry.alias} from "${entry.package}";`),
      `import * as sst from "${join(platform, "src", "components")}";`,
    ].join("\n");
    await buildConfig({
      outfile,
      globals,
      define: { $app: JSON.stringify(app), $cli: JSON.stringify(cli), $dev: "false" },
      inject: [join(platform, "src", "shim", "run.js")],
      code: [
        `import { run } from ${JSON.stringify(join(platform, "src", "auto", "run.ts"))};`,
        `import mod from ${JSON.stringify(join(root, "sst.config.ts"))};`,
        "const result = await run(mod.run);",
        "export default result;",
      ].join("\n"),
    });

    // What the deploying shell would hold, and nothing this process happens to have of the app's own
    // variables (a developer's OPENDUCK_TOKEN) or of SST's (SST_SECRET_<Name>, which the CLI sets).
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(OPENDUCK|SST)_/.test(name)),
    );
    const resultFile = join(scratch, "result.json");
    const child = spawn(
      process.execPath,
      ["--enable-source-maps", "--no-deprecation", "--no-warnings", runner],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...inherited,
          ...options.env,
          SST_SERVER: server.url,
          STACK_PLATFORM: platform,
          STACK_BUNDLE: outfile,
          STACK_PROJECT: app.name,
          STACK_STAGE: stage,
          STACK_RESULT: resultFile,
        },
      },
    );
    let log = "";
    child.stdout.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (!existsSync(resultFile)) {
      throw new Error(`the mocked program exited with ${code}:\n${log}`);
    }
    const result = JSON.parse(await readFile(resultFile, "utf8")) as {
      outputs?: Record<string, unknown>;
      resources: RegisteredResource[];
      calls: string[];
      errors: string[];
      loggedErrors: boolean;
    };
    // An error inside an output reaches every output derived from it: report each once.
    const errors = [...new Set(result.errors)];
    if (code !== 0) errors.push(`the mocked program exited with ${code}:\n${log.slice(0, 4000)}`);
    if (result.loggedErrors) errors.push(`Pulumi logged errors:\n${log}`);

    const packages: Record<string, FunctionPackage> = {};
    for (const resource of result.resources) {
      const source = resource.inputs.source as { archive?: string } | undefined;
      if (resource.type === "aws:s3/bucketObjectv2:BucketObjectv2" && source?.archive) {
        packages[resource.name] = await readPackage(source.archive, join(scratch, "packages", resource.name));
      }
    }
    return {
      app,
      resources: result.resources,
      outputs: result.outputs ?? {},
      calls: result.calls,
      rpc: server.calls,
      builds: server.builds,
      packages,
      errors,
    };
  } finally {
    await server.close();
    await removeBundle(outfile);
    await rm(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// The CLI's RPC server (Go net/rpc JSON-RPC over HTTP POST /rpc), for the methods this app needs.

interface Cli {
  url: string;
  calls: string[];
  builds: BuildRequest[];
  close(): Promise<void>;
}

async function startCli(): Promise<Cli> {
  const calls: string[] = [];
  const builds: BuildRequest[] = [];
  const methods: Record<string, (args: never) => Promise<unknown>> = {
    "Provider.Aws.Bootstrap": async () => ({
      asset: "sst-asset-mock",
      assetEcrRegistryId: "123456789012",
      assetEcrUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/sst-asset-mock",
      state: "sst-state-mock",
      appsyncHttp: "",
      appsyncRealtime: "",
    }),
    "Runtime.Build": async (input: BuildRequest) => {
      builds.push(input);
      return buildFunction(input);
    },
  };
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", async () => {
      const { method, params } = JSON.parse(body) as { method: string; params: [never] };
      calls.push(method);
      const handler = methods[method];
      let reply: { id: null; result: unknown; error: string | null };
      if (handler === undefined) {
        reply = { id: null, result: null, error: `rpc: can't find method ${method}` };
      } else {
        try {
          reply = { id: null, result: await handler(params[0]), error: null };
        } catch (error) {
          reply = { id: null, result: null, error: error instanceof Error ? error.message : String(error) };
        }
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    builds,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * pkg/runtime/runtime.go, Collection.Build, for a function with `bundle` (the only kind this app has; the
 * CLI's esbuild path is not reproduced): the output is the bundle folder itself and the handler stays as
 * given; no runtime is involved. copyFiles are only symlinked in `sst dev` (the component copies them
 * into the zip on a deploy). Then `resource.enc` goes into the folder: the links the function reads with
 * `Resource.<Name>`, JSON, sealed with AES-256-GCM under the function's key with a zero nonce, the tag
 * appended (Go's gcm.Seal).
 */
async function buildFunction(input: BuildRequest) {
  if (!input.bundle) {
    throw new Error(`sst-stack: only functions with \`bundle\` are supported (${input.functionID})`);
  }
  // The CLI resolves a relative path against its own working directory; infra/ passes absolute ones.
  const out = input.bundle;
  for (const item of input.copyFiles ?? []) {
    if (!input.dev) continue;
    const dest = join(out, item.to || item.from);
    await mkdir(dirname(dest), { recursive: true });
    await symlink(resolve(item.from), dest).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
  if (input.encryptionKey) {
    const cipher = createCipheriv(
      "aes-256-gcm",
      Buffer.from(input.encryptionKey, "base64"),
      Buffer.alloc(12),
    );
    const sealed = Buffer.concat([
      cipher.update(JSON.stringify(input.links)),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    await writeFile(join(out, "resource.enc"), sealed, { mode: 0o644 });
  }
  return { handler: input.handler, out, errors: [], sourcemaps: [] };
}

// ---------------------------------------------------------------------------------------------------
// The uploaded packages, read back.

/** A function's zip: its entries, extracted into `into`, and what its handler file loads at run time. */
async function readPackage(path: string, into: string): Promise<FunctionPackage> {
  const zip = await readFile(path);
  // Folders are entries too (archiver adds one for each folder the component's glob lists: "./", …).
  const entries = zipDirectory(zip).filter((entry) => !entry.name.endsWith("/"));
  let unzippedBytes = 0;
  const digests: Record<string, string> = {};
  for (const entry of entries) {
    unzippedBytes += entry.size;
    const target = join(into, entry.name);
    if (!target.startsWith(`${into}/`)) throw new Error(`${path}: entry outside the package: ${entry.name}`);
    const contents = zipContents(zip, entry);
    digests[entry.name] = sha256(contents);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, contents);
  }
  const resourceEnc = existsSync(join(into, "resource.enc"))
    ? await readFile(join(into, "resource.enc"))
    : undefined;
  // The handler files at the package's root (the runtime imports `<file>.mjs` for handler `<file>.<export>`).
  const handlers = (await readdir(into)).filter((file) => file.endsWith(".mjs"));
  const imports = new Map<string, BundleImport>();
  for (const handler of handlers) {
    for (const item of await externalImports(join(into, handler)))
      imports.set(`${item.kind} ${item.path}`, item);
  }
  return {
    entries: entries.map((e) => e.name),
    unzippedBytes,
    digests,
    resourceEnc,
    imports: [...imports.values()],
  };
}

/** The modules a bundled file loads at run time, as esbuild sees them with every package left external. */
async function externalImports(file: string): Promise<BundleImport[]> {
  let result: EsbuildResult;
  try {
    result = await esbuild().build({
      entryPoints: [file],
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      packages: "external",
      outdir: join(dirname(file), ".imports"),
      logLevel: "silent",
    });
  } catch (error) {
    throw new Error(`reading the imports of ${file} failed:\n${formatErrors(error)}`);
  }
  const imports: BundleImport[] = [];
  for (const output of Object.values(result.metafile?.outputs ?? {})) {
    for (const { path, kind, external } of output.imports) if (external) imports.push({ path, kind });
  }
  return imports;
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

/** The entries of a zip file, from its central directory. */
function zipDirectory(zip: Buffer): ZipEntry[] {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error("not a zip file");
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error("bad zip central directory");
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      name: zip.toString("utf8", offset + 46, offset + 46 + nameLength),
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      size: zip.readUInt32LE(offset + 24),
      localHeader: zip.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** One entry's bytes (stored or deflated: what archiver writes). */
function zipContents(zip: Buffer, entry: ZipEntry): Buffer {
  const header = entry.localHeader;
  if (zip.readUInt32LE(header) !== 0x04034b50) throw new Error(`bad zip local header: ${entry.name}`);
  const start = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`zip entry ${entry.name}: compression method ${entry.method}`);
}
