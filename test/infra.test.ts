/**
 * The deployment (sst.config.ts, infra/) checked offline: SST's own components, bundled and run the way
 * `sst deploy` runs them, against Pulumi's mock engine (see test/support/sst-stack.ts). What is asserted is
 * what Pulumi would be asked to create in AWS, and what each function's uploaded zip holds: the folder
 * `npm run build:functions` built, as it is, with SST's `resource.enc`.
 */
import { createDecipheriv } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildFunctions,
  ensurePlatform,
  evaluateApp,
  extensionPath,
  type FunctionPackage,
  platform,
  providerLock,
  type RegisteredResource,
  root,
  runStack,
  type StackRun,
  sha256,
} from "./support/sst-stack.js";

/** `sst install` (when .sst/platform is missing) downloads packages from the npm registry. */
const INSTALL_TIMEOUT = 300_000;
/** A mocked deploy: bundling the program, running it, zipping the worker's 70 MB. */
const RUN_TIMEOUT = 120_000;

/** The deploying shell's variables, as DEPLOY.md has the operator export them before `npx sst deploy`. */
const shell = {
  OPENDUCK_NEON_URL: "postgresql://openduck:secret-neon-password@ep-test-pooler.neon.invalid/neondb",
  OPENDUCK_TOKEN: "secret-bearer-token-0123456789abcdef",
};

interface Statement {
  Effect: string;
  Action?: string[];
  Resource?: string[];
  Principal?: Record<string, string[]>;
  Condition?: unknown;
}

/** Registered inputs hold secrets as `{ secret: value }`. */
function reveal(value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "secret") return reveal((value as { secret: unknown }).secret);
  }
  return value;
}

/** The inputs with every secret replaced by a marker: what Pulumi would store or show in plain text. */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "secret") return "[secret]";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]));
  }
  return value;
}

function resourcesOf(run: StackRun, type: string): RegisteredResource[] {
  return run.resources.filter((r) => r.type === type);
}

function resource(run: StackRun, type: string, name: string): RegisteredResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  expect(found.map((r) => `${r.type} ${r.name}`)).toEqual([`${type} ${name}`]);
  return found[0] as RegisteredResource;
}

/** The function an SST Function component creates (`<Name>Function`). */
function lambda(run: StackRun, name: string): RegisteredResource {
  return resource(run, "aws:lambda/function:Function", `${name}Function`);
}

/** The Lambda environment variables of an SST Function. */
function environment(run: StackRun, name: string): Record<string, string> {
  const { variables } = reveal(lambda(run, name).inputs.environment) as { variables: unknown };
  return Object.fromEntries(
    Object.entries(reveal(variables) as Record<string, unknown>).map(([k, v]) => [k, reveal(v) as string]),
  );
}

/** The function's uploaded zip (`<Name>Code`). */
function functionPackage(run: StackRun, name: string): FunctionPackage {
  const found = run.packages[`${name}Code`];
  expect(found, `${name}Code`).toBeDefined();
  return found as FunctionPackage;
}

/**
 * What the function reads with `Resource.<Name>`: its package's resource.enc, decrypted as the `sst` package
 * does it on Lambda (SST_KEY from the environment, AES-256-GCM, zero nonce, tag last).
 */
function links(run: StackRun, name: string): Record<string, Record<string, unknown>> {
  const variables = environment(run, name);
  const sealed = functionPackage(run, name).resourceEnc;
  if (sealed === undefined) throw new Error(`${name}: no resource.enc in the package`);
  const decipher = createDecipheriv(
    "aes-256-gcm",
    Buffer.from(variables.SST_KEY ?? "", "base64"),
    Buffer.alloc(12),
  );
  decipher.setAuthTag(sealed.subarray(-16));
  const json = Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()]).toString("utf8");
  return JSON.parse(json) as Record<string, Record<string, unknown>>;
}

/** The statements of the inline policy on an SST Function's role (`<Name>Role`). */
function rolePolicy(run: StackRun, name: string): Statement[] {
  const role = resource(run, "aws:iam/role:Role", `${name}Role`);
  const inline = reveal(role.inputs.inlinePolicies) as { name: string; policy: unknown }[];
  return inline.flatMap(
    (p) => (JSON.parse(reveal(p.policy) as string) as { Statement: Statement[] }).Statement,
  );
}

function bucketPolicy(run: StackRun): Statement[] {
  const policy = resource(run, "aws:s3/bucketPolicy:BucketPolicy", "LayersPolicy");
  return (JSON.parse(reveal(policy.inputs.policy) as string) as { Statement: Statement[] }).Statement;
}

/** Every file under `directory` (relative, `/`-separated) with its sha256. */
async function filesIn(directory: string): Promise<Record<string, string>> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  const files: Record<string, string> = {};
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files[relative(directory, path)] = sha256(await readFile(path));
  }
  return files;
}

/** A fresh app root holding what `npm run build:functions` builds, in its functions/dist. */
async function builtAppRoot(): Promise<string> {
  const appRoot = await mkdtemp(join(tmpdir(), "openduck-app-"));
  buildFunctions(join(appRoot, "functions", "dist"));
  return appRoot;
}

describe("sst.config.ts app()", () => {
  beforeAll(ensurePlatform, INSTALL_TIMEOUT);

  it.each(["production", "prod"])("keeps the resources of stage %s when it is removed", async (stage) => {
    expect(await evaluateApp(stage)).toMatchObject({ name: "openduck", home: "aws", removal: "retain" });
  });

  it("removes the resources of other stages with them", async () => {
    expect(await evaluateApp("dev")).toMatchObject({ name: "openduck", home: "aws", removal: "remove" });
  });

  it("pins the aws provider, and .sst/platform holds that version", async () => {
    const pinned = (await evaluateApp("dev")).providers.aws?.version;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const locked = (await providerLock()).find((entry) => entry.name === "aws");
    expect(locked).toMatchObject({ package: "@pulumi/aws", version: pinned });
    const installed = JSON.parse(
      await readFile(join(platform, "node_modules", "@pulumi", "aws", "package.json"), "utf8"),
    ) as { version: string };
    expect(installed.version).toBe(pinned);
  });
});

describe("the stack, deployed against Pulumi's mocks", () => {
  let appRoot: string;
  let run: StackRun;
  beforeAll(async () => {
    ensurePlatform();
    appRoot = await builtAppRoot();
    run = await runStack("test", { appRoot, env: shell });
  }, INSTALL_TIMEOUT);
  afterAll(async () => {
    if (appRoot) await rm(appRoot, { recursive: true, force: true });
  });

  it("runs to the end without errors", () => {
    expect(run.errors).toEqual([]);
    // The components asked the CLI for the bootstrap bucket and to build each function, nothing else.
    expect(new Set(run.rpc)).toEqual(new Set(["Provider.Aws.Bootstrap", "Runtime.Build"]));
  });

  it("is the layers bucket, the two secrets, the worker and the gateway", () => {
    const components = run.resources
      .filter((r) => r.type.startsWith("sst:") && r.type !== "sst:sst:LinkRef")
      .map((r) => `${r.type} ${r.name}`)
      .sort();
    expect(components).toEqual([
      "sst:aws:Bucket Layers",
      "sst:aws:Function Gateway",
      "sst:aws:Function Worker",
      "sst:sst:Secret NeonUrl",
      "sst:sst:Secret Token",
    ]);
    expect(resourcesOf(run, "aws:lambda/function:Function").map((r) => r.name)).toHaveLength(2);
    expect(resourcesOf(run, "aws:s3/bucket:Bucket")).toHaveLength(1);
  });

  it("serves the gateway through a public function URL that streams responses", () => {
    const gateway = lambda(run, "Gateway");
    const urls = resourcesOf(run, "aws:lambda/functionUrl:FunctionUrl");
    expect(urls.map((u) => u.name)).toEqual(["GatewayUrl"]);
    const url = urls[0] as RegisteredResource;
    expect(reveal(url.inputs.functionName)).toBe(gateway.state.name);
    expect(url.inputs.invokeMode).toBe("RESPONSE_STREAM");
    // Bearer tokens authenticate clients; the app answers CORS itself.
    expect(url.inputs.authorizationType).toBe("NONE");
    expect(url.inputs.cors).toBeUndefined();
  });

  it("lets anyone invoke the gateway only through its URL, and nobody else's function", () => {
    const gateway = lambda(run, "Gateway");
    const permissions = resourcesOf(run, "aws:lambda/permission:Permission").map(
      (p): Record<string, unknown> => ({ ...p.inputs, function: reveal(p.inputs.function) }),
    );
    expect(permissions).toHaveLength(2);
    for (const permission of permissions) {
      expect(permission.function).toBe(gateway.state.name);
      expect(permission.principal).toBe("*");
    }
    expect(permissions).toContainEqual(
      expect.objectContaining({ action: "lambda:InvokeFunctionUrl", functionUrlAuthType: "NONE" }),
    );
    expect(permissions).toContainEqual(
      expect.objectContaining({ action: "lambda:InvokeFunction", invokedViaFunctionUrl: true }),
    );
  });

  it("gives the worker Lambda's largest memory, storage and time, on x86-64 Node 22, and no URL", () => {
    const worker = lambda(run, "Worker");
    expect(worker.inputs).toMatchObject({
      memorySize: 10240,
      ephemeralStorage: { size: 10240 },
      timeout: 900,
      architectures: ["x86_64"],
      runtime: "nodejs22.x",
      packageType: "Zip",
    });
    const invokers = [
      ...resourcesOf(run, "aws:lambda/functionUrl:FunctionUrl").map((u) => reveal(u.inputs.functionName)),
      ...resourcesOf(run, "aws:lambda/permission:Permission").map((p) => reveal(p.inputs.function)),
    ];
    expect(invokers).not.toContain(worker.state.name);
  });

  it("runs the gateway with 1 GB for up to 15 minutes, on x86-64 Node 22", () => {
    expect(lambda(run, "Gateway").inputs).toMatchObject({
      memorySize: 1024,
      timeout: 900,
      architectures: ["x86_64"],
      runtime: "nodejs22.x",
      packageType: "Zip",
    });
  });

  it("keeps the bucket private", () => {
    const bucket = resource(run, "aws:s3/bucket:Bucket", "LayersBucket");
    const block = resource(
      run,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "LayersPublicAccessBlock",
    );
    expect(block.inputs).toMatchObject({
      bucket: bucket.state.bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    // The bucket policy grants nothing: its one statement refuses plain-HTTP requests.
    const statements = bucketPolicy(run);
    expect(statements.filter((s) => s.Effect !== "Deny")).toEqual([]);
    expect(statements).toEqual([
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": ["false"] } } }),
    ]);
    expect(bucket.inputs.acl).toBeUndefined();
    expect(resourcesOf(run, "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration")).toEqual([]);
  });

  it("expires staged uploads and results after a day, never layers", () => {
    const lifecycle = resource(
      run,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "LayersLifecycle",
    );
    const rules = lifecycle.inputs.rules as {
      status: string;
      filter?: { prefix?: string };
      expiration?: unknown;
    }[];
    expect(
      rules.map((r) => ({ status: r.status, prefix: r.filter?.prefix, expiration: r.expiration })),
    ).toEqual([
      { status: "Enabled", prefix: "staged/", expiration: { days: 1 } },
      { status: "Enabled", prefix: "results/", expiration: { days: 1 } },
    ]);
  });

  it("lets the worker use the layers bucket and nothing else", () => {
    const bucketArn = resource(run, "aws:s3/bucket:Bucket", "LayersBucket").state.arn;
    const statements = rolePolicy(run, "Worker");
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Effect).toBe("Allow");
      expect(statement.Action?.every((action) => action.startsWith("s3:"))).toBe(true);
      expect(statement.Resource?.sort()).toEqual([bucketArn, `${bucketArn}/*`]);
    }
    expect(JSON.stringify(statements)).not.toContain("lambda:");
    expect(resource(run, "aws:iam/role:Role", "WorkerRole").inputs.managedPolicyArns).toEqual([
      "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ]);
  });

  it("lets the gateway invoke the worker and nothing else", () => {
    const workerArn = lambda(run, "Worker").state.arn;
    const statements = rolePolicy(run, "Gateway");
    expect(statements).toEqual([
      // lambda:InvokeFunction also authorizes InvokeWithResponseStream.
      { Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [workerArn] },
    ]);
    expect(JSON.stringify(statements)).not.toContain("s3:");
    expect(resource(run, "aws:iam/role:Role", "GatewayRole").inputs.managedPolicyArns).toEqual([
      "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ]);
  });

  it("deploys each function from its folder in functions/dist, as built, with the handler at its root", () => {
    const builds = Object.fromEntries(
      run.builds.map((b) => [
        b.functionID,
        { bundle: b.bundle, handler: b.handler, properties: b.properties },
      ]),
    );
    expect(builds).toEqual({
      // No `nodejs` options: with `bundle`, SST runs no esbuild and installs nothing.
      Worker: {
        bundle: join(appRoot, "functions", "dist", "worker"),
        handler: "worker.handler",
        properties: { architecture: "x86_64" },
      },
      Gateway: {
        bundle: join(appRoot, "functions", "dist", "gateway"),
        handler: "gateway.handler",
        properties: { architecture: "x86_64" },
      },
    });
    expect(lambda(run, "Worker").inputs.handler).toBe("worker.handler");
    expect(lambda(run, "Gateway").inputs.handler).toBe("gateway.handler");
  });

  it("uploads exactly what npm run build:functions built, plus resource.enc", async () => {
    for (const name of ["worker", "gateway"]) {
      const built = await filesIn(join(appRoot, "functions", "dist", name));
      const uploaded = functionPackage(run, name === "worker" ? "Worker" : "Gateway");
      // resource.enc is SST's, written into the folder by Runtime.Build; every other file is the build's.
      expect(Object.keys(built)).toContain("resource.enc");
      expect(uploaded.digests).toEqual(built);
      // Lambda's limit for a function's unzipped package.
      expect(uploaded.unzippedBytes).toBeLessThan(250 * 1024 * 1024);
    }
  });

  it("packages the worker with DuckDB's linux-x64 binding and the extension beside worker.mjs", async () => {
    const worker = functionPackage(run, "Worker");
    expect(worker.entries).toEqual(
      expect.arrayContaining([
        "worker.mjs",
        "openduck.duckdb_extension",
        "resource.enc",
        "node_modules/@duckdb/node-api/package.json",
        "node_modules/@duckdb/node-bindings/package.json",
        "node_modules/@duckdb/node-bindings-linux-x64/duckdb.node",
        "node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so",
      ]),
    );
    // node-bindings' libduckdb.so is the one the extension links against (same SONAME): none of its own.
    expect(worker.entries).not.toContain("libduckdb.so");
    // Nothing for npm to install, and no other platform's binding.
    expect(worker.entries).not.toContain("package.json");
    expect(worker.entries.filter((p) => /node-bindings-(?!linux-x64\/)/.test(p))).toEqual([]);
    // The extension as built, not a stand-in.
    expect(worker.digests["openduck.duckdb_extension"]).toBe(sha256(await readFile(extensionPath)));
  });

  it("packages the gateway as gateway.mjs alone, without DuckDB or the extension", () => {
    expect(functionPackage(run, "Gateway").entries.sort()).toEqual(["gateway.mjs", "resource.enc"]);
  });

  it("bundles each function so that it loads at run time only Node's modules and what its package holds", () => {
    for (const name of ["Worker", "Gateway"]) {
      const pack = functionPackage(run, name);
      const missing = pack.imports.filter(
        ({ path, kind }) =>
          !path.startsWith("node:") &&
          !builtinModules.includes(path) &&
          !pack.entries.includes(`node_modules/${path}/package.json`) &&
          // A require() esbuild left alone is one inside try/catch: ws's optional add-ons.
          !(kind === "require-call" && ["bufferutil", "utf-8-validate"].includes(path)),
      );
      expect({ function: name, missing }).toEqual({ function: name, missing: [] });
    }
    expect(functionPackage(run, "Worker").imports.map((i) => i.path)).toContain("@duckdb/node-api");
    expect(
      functionPackage(run, "Gateway")
        .imports.map((i) => i.path)
        .filter((p) => p.includes("duckdb")),
    ).toEqual([]);
  });

  it("sets OPENDUCK_VERSION to the openduck package's version on both functions", async () => {
    const { version } = JSON.parse(
      await readFile(join(root, "packages", "openduck", "package.json"), "utf8"),
    ) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const name of ["Worker", "Gateway"]) {
      expect(environment(run, name)).toMatchObject({
        OPENDUCK_VERSION: version,
        SST_KEY_FILE: "resource.enc",
      });
    }
  });

  it("gives each function, encrypted in its package, the links it reads and no others", () => {
    const bucket = resource(run, "aws:s3/bucket:Bucket", "LayersBucket").state.bucket;
    const worker = links(run, "Worker");
    expect(Object.keys(worker).sort()).toEqual(["Layers", "NeonUrl"]);
    expect(worker.NeonUrl?.value).toBe(shell.OPENDUCK_NEON_URL);
    expect(worker.Layers).toMatchObject({ name: bucket });
    const gateway = links(run, "Gateway");
    expect(Object.keys(gateway).sort()).toEqual(["Token", "Worker"]);
    expect(gateway.Token?.value).toBe(shell.OPENDUCK_TOKEN);
    expect(gateway.Worker).toMatchObject({ name: lambda(run, "Worker").state.name });
    // What Runtime.Build was asked to seal is what the packages hold.
    for (const build of run.builds) expect(links(run, build.functionID)).toEqual(build.links);
  });

  it("keeps the secrets' values out of the environment and out of every unencrypted input", () => {
    for (const name of ["Worker", "Gateway"]) {
      const variables = JSON.stringify(environment(run, name));
      for (const value of Object.values(shell)) expect(variables).not.toContain(value);
    }
    const plain = JSON.stringify(run.resources.map((r) => withoutSecrets(r.inputs)));
    for (const value of Object.values(shell)) expect(plain).not.toContain(value);
    // …which they do reach, as Pulumi secrets (the placeholders of the two Secret components' links).
    expect(JSON.stringify(run.resources.map((r) => r.inputs))).toContain(shell.OPENDUCK_TOKEN);
  });

  it("outputs the gateway's URL and the bucket's name", () => {
    expect(run.outputs).toMatchObject({
      url: resource(run, "aws:lambda/functionUrl:FunctionUrl", "GatewayUrl").state.functionUrl,
      bucket: resource(run, "aws:s3/bucket:Bucket", "LayersBucket").state.bucket,
    });
  });
});

describe("deploying without what the stack needs", () => {
  let appRoot: string;
  beforeAll(async () => {
    ensurePlatform();
    appRoot = await builtAppRoot();
  }, INSTALL_TIMEOUT);
  afterAll(async () => {
    if (appRoot) await rm(appRoot, { recursive: true, force: true });
  });

  it(
    "stops before creating any function when the bundles were not built",
    async () => {
      const empty = await mkdtemp(join(tmpdir(), "openduck-app-"));
      try {
        const run = await runStack("test", { appRoot: empty, env: shell });
        expect(run.errors.join("\n")).toContain(
          "functions/dist/worker/worker.mjs not found: run `npm run build:functions` (after `npm run build:extension`) before deploying",
        );
        expect(resourcesOf(run, "sst:aws:Function")).toEqual([]);
        expect(run.rpc).not.toContain("Runtime.Build");
      } finally {
        await rm(empty, { recursive: true, force: true });
      }
    },
    RUN_TIMEOUT,
  );

  it(
    "fails on a secret that neither the shell nor `sst secret set` gave a value",
    async () => {
      const run = await runStack("test", { appRoot, env: { OPENDUCK_NEON_URL: shell.OPENDUCK_NEON_URL } });
      expect(run.errors.join("\n")).toContain("Set a value for Token with `sst secret set Token <value>`");
      expect(run.errors.join("\n")).not.toContain("NeonUrl");
    },
    RUN_TIMEOUT,
  );

  it(
    "prefers a value stored with `sst secret set` (SST_SECRET_<Name> from the CLI) to the shell's",
    async () => {
      const stored = "token-stored-with-sst-secret-set";
      const run = await runStack("test", { appRoot, env: { ...shell, SST_SECRET_Token: stored } });
      expect(run.errors).toEqual([]);
      expect(links(run, "Gateway").Token?.value).toBe(stored);
      expect(links(run, "Worker").NeonUrl?.value).toBe(shell.OPENDUCK_NEON_URL);
    },
    RUN_TIMEOUT,
  );
});
