import { SignedTokens } from "./signed-token.js";

/** What a handle pins: enough to run the same query again on any instance. */
export interface QueryHandleClaims {
  database: string;
  sql: string;
  snapshotId: string;
  /** Session settings the query runs with (QueryOptions.settings). */
  settings: Record<string, string>;
  /** The read kept running on the issuing instance (SuspendedResults), or "". */
  run: string;
  /** A read inside a transaction runs again on the transaction's private tip, which `snapshotId` cannot pin. */
  transaction?: { base: string; tip: string };
  /** Uploads the query reads (ExecuteQueryRequest.staged). */
  staged?: { uploadId: string; parts: number }[];
}

interface Payload {
  db: string;
  sql: string;
  snap: string;
  set?: Record<string, string>;
  run?: string;
  txn?: { base: string; tip: string };
  stg?: { uploadId: string; parts: number }[];
}

/** Query handles: signed claims that let any instance serve StreamResults. */
export class QueryHandles {
  readonly #tokens: SignedTokens<Payload>;
  readonly ttlMs: number;

  constructor(secret: string, ttlMs = 15 * 60 * 1000) {
    this.#tokens = new SignedTokens(secret, "openduck query handle v1", {
      noun: "query handle",
      malformed: "pass the handle ExecuteQuery returned",
      expired: "run the query again",
    });
    this.ttlMs = ttlMs;
  }

  issue(claims: QueryHandleClaims, callerToken: string, now = Date.now()): Uint8Array {
    const payload: Payload = {
      db: claims.database,
      sql: claims.sql,
      snap: claims.snapshotId,
      set: claims.settings,
      run: claims.run,
      ...(claims.transaction === undefined ? {} : { txn: claims.transaction }),
      ...(claims.staged === undefined || claims.staged.length === 0 ? {} : { stg: claims.staged }),
    };
    return this.#tokens.sign(payload, callerToken, now + this.ttlMs);
  }

  verify(handle: Uint8Array, callerToken: string, now = Date.now()): QueryHandleClaims {
    const { claims } = this.#tokens.verify(handle, callerToken, now);
    return {
      database: claims.db,
      sql: claims.sql,
      snapshotId: claims.snap,
      settings: claims.set ?? {},
      run: claims.run ?? "",
      ...(claims.txn === undefined ? {} : { transaction: claims.txn }),
      ...(claims.stg === undefined ? {} : { staged: claims.stg }),
    };
  }
}
