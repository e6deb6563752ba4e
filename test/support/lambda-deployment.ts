import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import {
  type EmulatedEndpoint,
  installAwsLambdaGlobal,
  type StreamingLambdaHandler,
  startFunctionUrl,
  startLambdaInvokeApi,
} from "./lambda-emulator.js";
import { runOpenDuck, temporaryDirectory } from "./openduck-process.js";
import { type BackendServers, type TestStorage, testStorage } from "./storage-backends.js";

const run = promisify(execFile);
const repository = fileURLToPath(new URL("../..", import.meta.url));
const workerFunctionName = "openduck-test-Worker";

/**
 * The serverless deployment, without AWS: the very bundles `sst deploy`
 * uploads (`npm run build:functions`), built outside the repository so that
 * they find nothing they do not carry, loaded in this process as Lambda's
 * Node.js runtime loads them (SST's linked resources in SST_RESOURCE_*
 * variables, the `awslambda` global), a function URL in front of the gateway
 * and Lambda's Invoke API (InvokeWithResponseStream, which the gateway calls
 * through @aws-sdk/client-lambda) in front of the worker. Metadata lives in a
 * real PostgreSQL server reached with the Neon driver, objects in an
 * S3-compatible server. One per process: the functions read their settings
 * when loaded.
 */
export interface LambdaDeployment {
  token: string;
  functionUrl: EmulatedEndpoint;
  invokeApi: EmulatedEndpoint;
  /** Where the bundles were copied: `gateway/gateway.mjs`, `worker/worker.mjs`. */
  bundles: string;
  /** The functions' environment, for more instances in other processes. */
  environment: Record<string, string>;
  /** The storage flags and environment of `openduck` commands for the deployment's Postgres and bucket. */
  storage: { args: string[]; env: Record<string, string> };
  /** Runs an `openduck` command against the deployment's Postgres and bucket, as an operator would. */
  openduck(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function startLambdaDeployment(
  servers: BackendServers,
  options: { token: string; databases: string[] },
): Promise<LambdaDeployment> {
  const storage: TestStorage = await testStorage(servers, "postgres", "s3");
  const [scratch, removeScratch] = await temporaryDirectory("openduck-lambda-");
  const endpoints: EmulatedEndpoint[] = [];
  const close = async () => {
    await Promise.all(endpoints.map((endpoint) => endpoint.close()));
    await storage.cleanup();
    await removeScratch();
  };
  try {
    // The functions use the bucket without a prefix.
    const args = [...storage.args];
    args.splice(args.indexOf("--s3-prefix"), 2);
    const flag = (name: string) => args[args.indexOf(name) + 1] ?? "";
    const openduck = (...command: string[]) => runOpenDuck([...command, ...args], storage.env);
    for (const database of options.databases) {
      const created = await openduck("db", "create", database);
      if (created.code !== 0) throw new Error(`openduck db create ${database}: ${created.stderr}`);
    }
    const bundles = join(scratch, "bundles");
    await run("npm", ["run", "build:functions", "--", bundles], { cwd: repository });
    const environment: Record<string, string> = {
      ...storage.env,
      AWS_REGION: "us-east-1",
      SST_RESOURCE_App: JSON.stringify({ name: "openduck", stage: "test" }),
      SST_RESOURCE_Token: JSON.stringify({ value: options.token }),
      SST_RESOURCE_NeonUrl: JSON.stringify({ value: flag("--postgres-url") }),
      SST_RESOURCE_Layers: JSON.stringify({ name: flag("--s3-bucket") }),
      SST_RESOURCE_Worker: JSON.stringify({ name: workerFunctionName }),
      OPENDUCK_S3_ENDPOINT: flag("--s3-endpoint"),
      OPENDUCK_SCRATCH_DIR: join(scratch, "tmp"),
      OPENDUCK_VERSION: "test",
    };
    installAwsLambdaGlobal();
    Object.assign(process.env, environment);
    const worker: { handler: StreamingLambdaHandler } = await import(
      pathToFileURL(join(bundles, "worker", "worker.mjs")).href
    );
    const invokeApi = await startLambdaInvokeApi({ [workerFunctionName]: worker.handler });
    endpoints.push(invokeApi);
    environment.AWS_ENDPOINT_URL_LAMBDA = invokeApi.url;
    process.env.AWS_ENDPOINT_URL_LAMBDA = invokeApi.url;
    const gateway: { handler: StreamingLambdaHandler } = await import(
      pathToFileURL(join(bundles, "gateway", "gateway.mjs")).href
    );
    const functionUrl = await startFunctionUrl(gateway.handler);
    endpoints.push(functionUrl);
    return {
      token: options.token,
      functionUrl,
      invokeApi,
      bundles,
      environment,
      storage: { args, env: storage.env },
      openduck,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
