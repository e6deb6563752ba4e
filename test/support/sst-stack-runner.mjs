// The Pulumi side of an offline `sst deploy` (see sst-stack.ts, which plays the SST CLI's part and starts
// this script): runs the program SST bundled from sst.config.ts the way Pulumi's Node language host does
// (`runInPulumiStack` around an import of the bundle, until the event loop is empty), with Pulumi's own
// mock engine in place of the deployment engine and the cloud provider. It writes what the program asked
// for — every resource registration with its inputs, provider calls and the stack outputs — as JSON.
//
// Environment: STACK_PLATFORM (.sst/platform), STACK_BUNDLE (the bundled program), STACK_PROJECT,
// STACK_STAGE, STACK_RESULT (where to write the JSON).

import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { STACK_PLATFORM, STACK_BUNDLE, STACK_PROJECT, STACK_STAGE, STACK_RESULT } = process.env;
if (!STACK_PLATFORM || !STACK_BUNDLE || !STACK_PROJECT || !STACK_STAGE || !STACK_RESULT) {
  throw new Error("sst-stack-runner: STACK_PLATFORM, STACK_BUNDLE, STACK_PROJECT, STACK_STAGE, STACK_RESULT");
}

// The same @pulumi/pulumi the bundle imports (the bundle sits in .sst/platform and keeps @pulumi/* external).
const pulumi = createRequire(join(STACK_PLATFORM, "package.json"))("@pulumi/pulumi");

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

const errors = [];
const resources = [];
const calls = [];

process.on("uncaughtException", (error) => errors.push(describe(error)));
process.on("unhandledRejection", (error) => errors.push(describe(error)));

function describe(error) {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** What AWS would report back for the few resource types whose outputs the program reads. */
function stateOf(type, name, inputs) {
  const physical = `${name.toLowerCase()}-mock`;
  switch (type) {
    case "aws:lambda/function:Function": {
      const functionName = inputs.name ?? physical;
      return { name: functionName, arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}` };
    }
    case "aws:lambda/functionUrl:FunctionUrl":
      return { functionUrl: `https://${physical}.lambda-url.${REGION}.on.aws/` };
    case "aws:iam/role:Role":
      return { name: physical, arn: `arn:aws:iam::${ACCOUNT}:role/${physical}` };
    case "aws:s3/bucket:Bucket": {
      const bucket = inputs.bucket ?? physical;
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${inputs.name ?? physical}` };
    case "random:index/randomBytes:RandomBytes": {
      const bytes = Buffer.alloc(inputs.length ?? 32, 7);
      return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    default:
      return {};
  }
}

/** aws.iam.getPolicyDocument's `json`, as the provider renders it (the parts the tests read). */
function policyDocument(inputs) {
  const statement = (inputs.statements ?? []).map((item) => ({
    ...(item.sid ? { Sid: item.sid } : {}),
    Effect: item.effect ?? "Allow",
    ...(item.actions ? { Action: item.actions } : {}),
    ...(item.resources ? { Resource: item.resources } : {}),
    ...(item.principals
      ? {
          Principal: Object.fromEntries(item.principals.map((p) => [p.type, p.identifiers])),
        }
      : {}),
    ...(item.conditions
      ? {
          Condition: Object.fromEntries(item.conditions.map((c) => [c.test, { [c.variable]: c.values }])),
        }
      : {}),
  }));
  return JSON.stringify({ Version: "2012-10-17", Statement: statement });
}

/** Inputs as JSON: secrets as `{ secret: value }`, assets and archives as `{ asset | archive: path }`. */
async function plain(value) {
  if (pulumi.asset.Archive.isInstance(value)) return { archive: await value.path };
  if (pulumi.asset.Asset.isInstance(value)) return { asset: await value.path };
  if (pulumi.Resource.isInstance(value)) return { resource: "(reference)" };
  if (Array.isArray(value)) return Promise.all(value.map(plain));
  if (value !== null && typeof value === "object") {
    if (value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
      return { secret: await plain(value.value) };
    }
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await plain(v)]));
    return Object.fromEntries(entries);
  }
  return value;
}

const mocks = {
  async newResource({ type, name, inputs, custom }) {
    const outputs = stateOf(type, name, inputs);
    resources.push({ type, name, custom: Boolean(custom), inputs: await plain(inputs), state: outputs });
    return { id: custom ? `${name}-id` : undefined, state: { ...inputs, ...outputs } };
  },
  call({ token, inputs }) {
    calls.push(token);
    switch (token) {
      case "aws:index/getPartition:getPartition":
        return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
      case "aws:index/getRegion:getRegion":
        return { id: REGION, name: REGION, region: REGION, endpoint: `ec2.${REGION}.amazonaws.com` };
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, userId: ACCOUNT };
      case "aws:iam/getPolicyDocument:getPolicyDocument": {
        // Like every data source, the result repeats its arguments (SST reads `statements` back).
        const json = policyDocument(inputs);
        return { ...inputs, id: "policy", json, minifiedJson: json };
      }
      default:
        throw new Error(`sst-stack-runner: no mock for the provider function ${token}`);
    }
  },
};

await pulumi.runtime.setMocks(mocks, STACK_PROJECT, STACK_STAGE, false);

// As Pulumi's language host: the program's default export is the stack's outputs.
let finished = false;
const outputs = pulumi.runtime
  .runInPulumiStack(async () => (await import(pathToFileURL(STACK_BUNDLE).href)).default)
  .finally(() => {
    finished = true;
  });
outputs.catch((error) => errors.push(describe(error)));

// The host lets the process run until its event loop is empty: resources created inside `apply`
// callbacks, the function packages being zipped, … all finish before that.
process.once("beforeExit", () => {
  if (!finished) errors.push("the program never finished (an output it returned never resolved)");
  const write = (outputs) =>
    writeFileSync(
      STACK_RESULT,
      JSON.stringify(
        { outputs, resources, calls, errors, loggedErrors: pulumi.log.hasErrors() },
        undefined,
        2,
      ),
    );
  if (!finished) return write(undefined);
  outputs.then(write, () => write(undefined));
});
