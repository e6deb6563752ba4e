import { Code, ConnectError } from "@connectrpc/connect";

/** A request whose whole SQL is one transaction-control statement. */
export interface TransactionControl {
  kind: "commit" | "rollback" | "other";
  /** The statement's first keyword, upper case, for messages. */
  keyword: string;
}

const comments = /--[^\n]*|\/\*[\s\S]*?\*\//g;
const controlStatement = /^\s*(BEGIN|START|SAVEPOINT|RELEASE|COMMIT|END|ROLLBACK|ABORT)\b[^;]*;?\s*$/i;
const commit = /^\s*(?:COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?\s*;?\s*$/i;
const rollback = /^\s*(?:ROLLBACK|ABORT)(?:\s+(?:WORK|TRANSACTION))?\s*;?\s*$/i;

/**
 * Recognises SQL that is nothing but one transaction-control statement
 * (COMMIT, ROLLBACK and their synonyms, or BEGIN, SAVEPOINT, …): the server
 * runs transactions across requests itself, so these never reach DuckDB on
 * their own. Several statements in one request ("BEGIN; …; COMMIT") are
 * ordinary SQL: DuckDB runs them as one transaction within the request.
 */
export function transactionControl(sql: string): TransactionControl | undefined {
  // Comments go first, wherever they are; a statement made of these keywords holds no string literal they could
  // be part of.
  const text = sql.replace(comments, " ");
  const match = controlStatement.exec(text);
  if (match === null) return undefined;
  const keyword = (match[1] as string).toUpperCase();
  if (commit.test(text)) return { kind: "commit", keyword };
  if (rollback.test(text)) return { kind: "rollback", keyword };
  return { kind: "other", keyword };
}

/**
 * Whether the SQL ends the transaction it runs in. Transaction control the
 * server cannot honour fails with a clear error, instead of DuckDB's about
 * its own transactions.
 */
export function transactionEnd(sql: string, inTransaction: boolean): "commit" | "rollback" | undefined {
  const control = transactionControl(sql);
  if (control === undefined) return undefined;
  if (control.kind === "other") {
    throw new ConnectError(
      inTransaction
        ? `${control.keyword} inside a transaction: the transaction is open already and has no savepoints; end it with COMMIT or ROLLBACK`
        : `${control.keyword} on its own does nothing here: a request outside a transaction commits on its own (send "BEGIN; …; COMMIT" as one request), and a transaction across requests begins with ExecuteQueryRequest.begin_transaction`,
      Code.InvalidArgument,
    );
  }
  if (!inTransaction) {
    throw new ConnectError(
      `${control.keyword} outside a transaction: there is none to end, a request outside a transaction commits on its own`,
      Code.InvalidArgument,
    );
  }
  return control.kind;
}
