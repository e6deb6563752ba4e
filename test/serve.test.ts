import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type OpenDuckProcess,
  serveReady,
  serveTestDatabase,
  startOpenDuck,
  temporaryDirectory,
} from "./support/openduck-process.js";

const token = "serve-test-token";
let server: OpenDuckProcess;

function executeQuery(body: unknown, authorization?: string) {
  return fetch(`${server.url}/openduck.v1.ExecutionService/ExecuteQuery`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  server = await serveTestDatabase(token);
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

describe("openduck serve", () => {
  it("answers /health with JSON", async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", service: "openduck-gateway" });
  });

  it("answers ExecuteQuery in JSON with the schema and the inline rows", async () => {
    const response = await executeQuery({ database: "mydb", sql: "SELECT 42 AS answer" }, `Bearer ${token}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      statementType: "SELECT",
      resultKind: "RESULT_KIND_ROWS",
      columns: [{ name: "answer", type: "INTEGER" }],
      complete: true,
      rowCount: "1",
    });
    const ipc = Buffer.concat([
      Buffer.from(body.arrowSchema as string, "base64"),
      Buffer.from(body.arrowBatches as string, "base64"),
    ]);
    const table = tableFromIPC(ipc);
    expect(table.schema.fields.map((field) => field.name)).toEqual(["answer"]);
    expect(table.getChild("answer")?.toArray()).toEqual(Int32Array.of(42));
  });

  it("gives browsers CORS headers, and other clients none", async () => {
    const url = `${server.url}/openduck.v1.ExecutionService/ExecuteQuery`;
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    const body = JSON.stringify({ database: "mydb", sql: "SELECT 1" });
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const browser = await fetch(url, {
      method: "POST",
      headers: { ...headers, origin: "https://app.example" },
      body,
    });
    expect(browser.headers.get("access-control-allow-origin")).toBe("*");
    expect(browser.headers.get("access-control-expose-headers")).toMatch(/grpc-status/);
    const plain = await fetch(url, { method: "POST", headers, body });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
    expect((await fetch(`${server.url}/health`)).headers.get("access-control-allow-origin")).toBe("*");
  });

  it("refuses a missing or wrong token with unauthenticated, and keeps serving", async () => {
    for (const authorization of [undefined, "Bearer wrong-token", "Basic abc"]) {
      const response = await executeQuery({ database: "mydb", sql: "SELECT 1" }, authorization);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: "unauthenticated" });
    }
    expect((await executeQuery({ database: "mydb", sql: "SELECT 1" }, `Bearer ${token}`)).status).toBe(200);
  });

  it("reports a SQL error as invalid_argument with DuckDB's own message", async () => {
    const response = await executeQuery({ database: "mydb", sql: "SELEC 1" }, `Bearer ${token}`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/^Parser Error: syntax error at or near "SELEC"/);
    const missing = await executeQuery({ database: "mydb", sql: "SELECT * FROM nope" }, `Bearer ${token}`);
    expect(await missing.json()).toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(/^Catalog Error: Table with name nope does not exist/),
    });
    expect((await executeQuery({ database: "mydb", sql: "SELECT 1" }, `Bearer ${token}`)).status).toBe(200);
  });

  it("reports an unknown database as not_found", async () => {
    const response = await executeQuery({ database: "nodb", sql: "SELECT 1" }, `Bearer ${token}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      code: "not_found",
      message: 'database "nodb" does not exist',
    });
    expect((await executeQuery({ database: "mydb", sql: "SELECT 1" }, `Bearer ${token}`)).status).toBe(200);
  });

  it("refuses requests without a database or SQL", async () => {
    const response = await executeQuery({ sql: "SELECT 1" }, `Bearer ${token}`);
    expect(await response.json()).toMatchObject({
      code: "invalid_argument",
      message: "database is required",
    });
  });

  it("prints an ATTACH line for each database without echoing a token it was given", () => {
    expect(server.output()).toContain(`ATTACH 'openduck:mydb?endpoint=${server.url}' AS cloud;`);
    expect(server.output()).not.toContain(token);
  });
});

describe("openduck serve without a token", () => {
  it("generates one, prints it once in a working ATTACH line", async () => {
    const [dir, remove] = await temporaryDirectory("openduck-serve-");
    const env = { OPENDUCK_TOKEN: "" };
    const generated = await startOpenDuck(["serve", "-d", "demo", "--port", "0", "--data", dir], {
      env,
      ready: serveReady,
    });
    try {
      const attach = /ATTACH 'openduck:demo\?endpoint=(\S+)&token=(od_[\w-]+)' AS cloud;/.exec(
        generated.output(),
      );
      expect(attach?.[1]).toBe(generated.url);
      const printedToken = attach?.[2] ?? "";
      expect(generated.output().split(printedToken).length - 1).toBe(2);
      const response = await fetch(`${generated.url}/openduck.v1.ExecutionService/ExecuteQuery`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${printedToken}` },
        body: JSON.stringify({ database: "demo", sql: "SELECT 1" }),
      });
      expect(response.status).toBe(200);
    } finally {
      expect(await generated.stop()).toBe(0);
      await remove();
    }
  });
});
