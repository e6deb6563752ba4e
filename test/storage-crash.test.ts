import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { DuckDBWorker } from "@openduck/engine";
import { afterAll, describe, expect, it } from "vitest";
import { BackendServers, storageMatrix, type TestStorage, testStorage } from "./support/storage-backends.js";
import { runOnWorker } from "./support/worker-queries.js";

const servers = new BackendServers();
afterAll(() => servers.stop());

const script = fileURLToPath(new URL("./support/crash-writer.mjs", import.meta.url));
/** 13 runs on each of the four backend combinations: 52 writers killed in all. */
const RUNS_PER_BACKEND = 13;
const ITEMS_PER_BATCH = 200_000;
const phases = ["statement", "checkpointed", "uploading", "uploaded", "committing"] as const;

interface Writer {
  child: ChildProcess;
  lines: AsyncIterator<string>;
  exited: Promise<number | null>;
  /** What it printed so far, and its stderr: a failing test shows both. */
  transcript: string[];
  errors: () => string;
}

/** Writers still running: a failing test stops them before it removes their storage. */
const running = new Set<Writer>();

async function stopWriters(): Promise<void> {
  for (const writer of running) {
    writer.child.kill("SIGKILL");
    await writer.exited;
  }
}

function startWriter(storage: TestStorage, args: string[], env: Record<string, string> = {}): Writer {
  const child = spawn(process.execPath, [script, ...args, "--", ...storage.args], {
    env: { ...process.env, ...storage.env, OPENDUCK_LEASE_TTL_MS: "600", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      if (code !== 0 && signal === null) console.error(`crash-writer ${args.join(" ")} failed:\n${errors}`);
      resolve(code);
    }),
  );
  const transcript: string[] = [];
  const input = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  input.on("line", (line) => transcript.push(line));
  const lines = input[Symbol.asyncIterator]();
  const writer = { child, lines, exited, transcript, errors: () => errors };
  running.add(writer);
  void exited.then(() => running.delete(writer));
  return writer;
}

async function nextLine(writer: Writer): Promise<string> {
  const next = await writer.lines.next();
  if (next.done) {
    const code = await writer.exited;
    throw new Error(
      `the writer ended early (exit ${code}); it printed:\n${writer.transcript.join("\n")}\nstderr:\n${writer.errors()}`,
    );
  }
  return next.value;
}

/** The next line that is not a commit-phase report. */
async function nextResult(writer: Writer): Promise<string> {
  for (;;) {
    const line = await nextLine(writer);
    if (!line.startsWith("phase ")) return line;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(storageMatrix)(
  "a writer killed anywhere in the commit protocol, on %s metadata and %s objects",
  (metadata, objects) => {
    it(`leaves the last committed snapshot as the head, with every committed row (${RUNS_PER_BACKEND} SIGKILLs)`, async () => {
      const storage = await testStorage(servers, metadata, objects);
      try {
        const setup = startWriter(storage, ["crashed", "setup"]);
        expect(await nextResult(setup)).toBe("ready");
        expect(await setup.exited).toBe(0);

        let committed = 0;
        let head: string | undefined;
        const killedAt: string[] = [];
        // What the next writer finds: exactly the last commit. A writer killed in the instant between its commit
        // transaction and reporting it did commit: then the head holds its whole batch (never part of one).
        const check = (line: string) => {
          const [, seenHead, batches, items] = /^head (\d+) batches (\d+) items (\d+)$/.exec(line) ?? [];
          expect(seenHead, line).toBeDefined();
          if (head !== undefined && seenHead !== head) {
            expect(Number(seenHead)).toBeGreaterThan(Number(head));
            expect(Number(batches)).toBe(committed + 1);
            committed++;
            head = seenHead;
          }
          expect(Number(batches)).toBe(committed);
          expect(Number(items)).toBe(committed * ITEMS_PER_BATCH);
        };
        const record = (line: string) => {
          const done = /^committed (\d+) (\d+)$/.exec(line);
          if (!done) return false;
          expect(Number(done[1])).toBe(committed);
          committed++;
          head = done[2];
          return true;
        };
        for (let run = 0; run < RUNS_PER_BACKEND; run++) {
          const phase = phases[Math.floor(Math.random() * phases.length)] ?? "statement";
          const writer = startWriter(
            storage,
            ["crashed", "insert"],
            phase === "statement" ? {} : { PAUSE_AT: phase },
          );
          check(await nextResult(writer));
          // The writer commits the batch numbered `committed`, then dies somewhere in the next one.
          const victim = committed + 1;
          for (;;) {
            const line = await nextLine(writer);
            if (record(line) || committed !== victim) continue;
            if ((phase === "statement" && line === `start ${victim}`) || line === `phase ${phase}`) {
              // Somewhere in the statement, or in (and just past) the 400 ms the writer lingers at the phase.
              await pause(Math.random() * (phase === "statement" ? 300 : 450));
              writer.child.kill("SIGKILL");
              killedAt.push(phase);
              break;
            }
          }
          await writer.exited;
          // Whatever it printed before it died still counts.
          for (let next = await writer.lines.next(); !next.done; next = await writer.lines.next())
            record(next.value);
        }
        // A last writer sees exactly what was committed, then commits on top of it.
        const last = startWriter(storage, ["crashed", "insert"]);
        check(await nextResult(last));
        expect(await last.exited).toBe(0);
        expect(killedAt).toHaveLength(RUNS_PER_BACKEND);
      } finally {
        await stopWriters();
        await storage.cleanup();
      }
    }, 600_000);
  },
);

describe.each(storageMatrix.filter(([metadata]) => metadata === "postgres"))(
  "two writer processes racing on %s metadata and %s objects",
  (metadata, objects) => {
    it("end with exactly the committed count", async () => {
      const storage = await testStorage(servers, metadata, objects);
      try {
        const setup = startWriter(storage, ["raced", "setup"]);
        expect(await nextResult(setup)).toBe("ready");
        await setup.exited;
        const writers = [0, 1].map(() =>
          startWriter(storage, ["raced", "increment", "100"], { OPENDUCK_LEASE_TTL_MS: "30000" }),
        );
        const commits = await Promise.all(
          writers.map(async (writer) => {
            const snapshots: string[] = [];
            for (let i = 0; i < 100; i++)
              snapshots.push((await nextResult(writer)).replace("committed ", ""));
            expect(await writer.exited).toBe(0);
            return snapshots;
          }),
        );
        expect(new Set(commits.flat()).size).toBe(200);
        const store = await storage.open();
        const worker = new DuckDBWorker({
          store,
          scratchDirectory: join(storage.dataDirectory, "duckdb-check"),
        });
        try {
          expect((await runOnWorker(worker, "raced", "SELECT n FROM counter")).rows).toEqual([{ n: 200 }]);
          expect((await store.listSnapshots("raced")).length).toBe(1 + 1 + 200);
        } finally {
          await worker.close();
          await store.close();
        }
      } finally {
        await stopWriters();
        await storage.cleanup();
      }
    }, 600_000);
  },
);
