import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";

/** What a handle pins: enough to run the same query again on any instance. */
export interface QueryHandleClaims {
  database: string;
  sql: string;
  snapshotId: string;
  /** Session settings the query runs with (QueryOptions.settings). */
  settings: Record<string, string>;
  /** The read kept running on the issuing instance (SuspendedResults), or "". */
  run: string;
}

interface Payload {
  db: string;
  sql: string;
  snap: string;
  set?: Record<string, string>;
  run?: string;
  /** Expiry, ms since the epoch. */
  exp: number;
  /** A fingerprint of the caller's token: a handle serves only who started it. */
  tok: string;
}

const version = 1;
const macLength = 32;

/**
 * Query handles are self-describing and signed, so no gateway instance keeps
 * state between ExecuteQuery and StreamResults:
 * `version (1 byte) ‖ HMAC-SHA256(key, payload) ‖ payload (JSON)`.
 */
export class QueryHandles {
  readonly #key: Buffer;
  readonly ttlMs: number;

  constructor(secret: string, ttlMs = 15 * 60 * 1000) {
    this.#key = createHmac("sha256", secret).update("openduck query handle v1").digest();
    this.ttlMs = ttlMs;
  }

  issue(claims: QueryHandleClaims, callerToken: string, now = Date.now()): Uint8Array {
    const payload: Payload = {
      db: claims.database,
      sql: claims.sql,
      snap: claims.snapshotId,
      set: claims.settings,
      run: claims.run,
      exp: now + this.ttlMs,
      tok: fingerprint(callerToken),
    };
    const body = Buffer.from(JSON.stringify(payload));
    const mac = createHmac("sha256", this.#key).update(body).digest();
    return Buffer.concat([Buffer.of(version), mac, body]);
  }

  verify(handle: Uint8Array, callerToken: string, now = Date.now()): QueryHandleClaims {
    const bytes = Buffer.from(handle.buffer, handle.byteOffset, handle.byteLength);
    if (bytes.length <= 1 + macLength || bytes[0] !== version) {
      throw new ConnectError(
        "malformed query handle: pass the handle ExecuteQuery returned",
        Code.InvalidArgument,
      );
    }
    const mac = bytes.subarray(1, 1 + macLength);
    const body = bytes.subarray(1 + macLength);
    const expected = createHmac("sha256", this.#key).update(body).digest();
    if (!timingSafeEqual(mac, expected)) {
      throw new ConnectError("query handle was not issued by this service", Code.InvalidArgument);
    }
    const payload = JSON.parse(body.toString("utf8")) as Payload;
    if (payload.tok !== fingerprint(callerToken)) {
      throw new ConnectError("query handle belongs to another token", Code.PermissionDenied);
    }
    if (payload.exp < now) {
      throw new ConnectError("query handle expired: run the query again", Code.FailedPrecondition);
    }
    return {
      database: payload.db,
      sql: payload.sql,
      snapshotId: payload.snap,
      settings: payload.set ?? {},
      run: payload.run ?? "",
    };
  }
}

function fingerprint(token: string): string {
  return createHash("sha256").update(token).digest("base64url").slice(0, 22);
}
