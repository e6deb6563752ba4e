import { ConnectError } from "@connectrpc/connect";
import { version } from "../version.js";
import { gatewayCommand, gatewayUsage } from "./gateway-command.js";
import { serveCommand, serveUsage } from "./serve-command.js";
import { UsageError } from "./settings.js";
import {
  dbCommand,
  dbUsage,
  gcCommand,
  gcUsage,
  snapshotCommand,
  snapshotUsage,
} from "./storage-commands.js";
import { workerCommand, workerUsage } from "./worker-command.js";

const commands: Record<string, { run: (args: string[]) => Promise<number>; usage: string }> = {
  serve: { run: serveCommand, usage: serveUsage },
  gateway: { run: gatewayCommand, usage: gatewayUsage },
  worker: { run: workerCommand, usage: workerUsage },
  db: { run: dbCommand, usage: dbUsage },
  snapshot: { run: snapshotCommand, usage: snapshotUsage },
  gc: { run: gcCommand, usage: gcUsage },
};

const usage = `OpenDuck ${version}: DuckDB in the cloud, open.

Usage:
  openduck serve     gateway and worker in one process (embedded defaults)
  openduck gateway   the gateway alone
  openduck worker    a worker for a gateway
  openduck db        create, list, drop, undrop, clone databases
  openduck snapshot  list and name snapshots
  openduck gc        delete what no retained snapshot needs
  openduck help COMMAND

Environment: OPENDUCK_TOKEN, OPENDUCK_SECRET, OPENDUCK_DATA_DIR, OPENDUCK_POSTGRES_URL, OPENDUCK_S3_BUCKET.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" && args[0] ? commands[args[0]] : undefined;
    console.log(topic ? topic.usage : usage);
    return 0;
  }
  if (name === "--version" || name === "-v") {
    console.log(version);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`unknown command ${JSON.stringify(name)}\n\n${usage}`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
      console.error(`openduck ${name}: ${(error as Error).message}\n\n${command.usage}`);
      return 2;
    }
    const message = error instanceof ConnectError ? error.rawMessage : (error as Error).message;
    console.error(`openduck ${name}: ${message}`);
    return 1;
  }
}
