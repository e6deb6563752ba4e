import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { secretFromToken } from "@openduck/gateway";

/** Where the token came from decides whether we may print it. */
export interface TokenSetting {
  value: string;
  source: "flag" | "env" | "generated";
}

export function resolveToken(flag: string | undefined, env = process.env): TokenSetting {
  if (flag) return { value: flag, source: "flag" };
  if (env.OPENDUCK_TOKEN) return { value: env.OPENDUCK_TOKEN, source: "env" };
  return { value: `od_${randomBytes(24).toString("base64url")}`, source: "generated" };
}

/** The cluster secret signs query handles and authenticates workers to gateways; without one it derives from the token. */
export function resolveSecret(flag: string | undefined, token: string, env = process.env): string {
  return flag || env.OPENDUCK_SECRET || secretFromToken(token);
}

export function resolveDataDirectory(flag: string | undefined, env = process.env): string {
  return resolve(flag ?? env.OPENDUCK_DATA_DIR ?? ".openduck");
}

export function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a number from 0 to 65535, not ${JSON.stringify(text)}`);
  }
  return port;
}

export function parsePositiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new UsageError(`${flag} must be a positive whole number, not ${JSON.stringify(text)}`);
  }
  return value;
}

/** A mistake in how the command was called: reported without a stack trace. */
export class UsageError extends Error {}
