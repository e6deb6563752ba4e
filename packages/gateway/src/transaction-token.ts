import { Code, ConnectError } from "@connectrpc/connect";
import { SignedTokens } from "./signed-token.js";

/**
 * A multi-statement transaction, as its token carries it from one statement
 * to the next: the store holds its private snapshots, the token says which
 * ones are its own, so any instance serves its next statement.
 */
export interface Transaction {
  database: string;
  /** The snapshot it began at: COMMIT publishes only if this is still the head. */
  base: string;
  /** Its latest private snapshot (the base until it wrote). */
  tip: string;
  /** Fixed when it began: its private snapshots are kept that long (the store's transaction lifetime). */
  expiresAt: number;
}

interface Payload {
  db: string;
  base: string;
  tip: string;
}

/** Transaction tokens (ExecuteQueryResponse.transaction), signed like query handles. */
export class TransactionTokens {
  readonly #tokens: SignedTokens<Payload>;
  readonly ttlMs: number;

  constructor(secret: string, ttlMs = 24 * 3600 * 1000) {
    this.#tokens = new SignedTokens(secret, "openduck transaction token v1", {
      noun: "transaction token",
      malformed: "pass the token of the transaction's previous response",
      expired: "the transaction ran longer than it may; nothing of it was written, run it again",
    });
    this.ttlMs = ttlMs;
  }

  /** The transaction's token after a statement; it expires when the transaction began plus the ttl. */
  issue(transaction: Transaction, callerToken: string): Uint8Array {
    return this.#tokens.sign(
      { db: transaction.database, base: transaction.base, tip: transaction.tip },
      callerToken,
      transaction.expiresAt,
    );
  }

  /** The transaction of a token, for a statement on `database`. */
  verify(token: Uint8Array, database: string, callerToken: string, now = Date.now()): Transaction {
    const { claims, expiresAt } = this.#tokens.verify(token, callerToken, now);
    if (claims.db !== database) {
      throw new ConnectError(
        `the transaction token belongs to a transaction on database "${claims.db}", not "${database}"`,
        Code.InvalidArgument,
      );
    }
    return { database: claims.db, base: claims.base, tip: claims.tip, expiresAt };
  }
}
