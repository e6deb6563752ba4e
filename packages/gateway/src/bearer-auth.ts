import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Compares in constant time: hashing first makes the lengths equal. */
export function secretsMatch(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(authorization: string | null): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
  return match?.[1];
}

/**
 * Refuses calls without `Authorization: Bearer <token>` for one of the
 * accepted tokens, before any work is done. The token never appears in an
 * error message.
 */
export function bearerAuth(accepts: (token: string) => boolean): Interceptor {
  return (next) => async (request) => {
    const token = bearerToken(request.header.get("authorization"));
    if (token === undefined) {
      throw new ConnectError(
        'missing credentials: send the header "Authorization: Bearer <token>"',
        Code.Unauthenticated,
      );
    }
    if (!accepts(token)) {
      throw new ConnectError("invalid token", Code.Unauthenticated);
    }
    return next(request);
  };
}
