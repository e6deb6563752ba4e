import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";

/** What the caller is told about one kind of token. */
export interface TokenWording {
  /** e.g. "query handle" */
  noun: string;
  /** What to pass instead of a malformed token. */
  malformed: string;
  /** What to do once it expired. */
  expired: string;
}

interface Envelope {
  /** Expiry, ms since the epoch. */
  exp: number;
  /** A fingerprint of the caller's token: a token serves only who obtained it. */
  tok: string;
}

const version = 1;

/**
 * The cluster secret of a deployment that has none of its own: every process
 * given the same token derives the same secret, which is enough while one
 * token rules the deployment.
 */
export function secretFromToken(token: string): string {
  return createHmac("sha256", token).update("openduck cluster secret").digest("base64url");
}
const macLength = 32;

/**
 * Self-describing, signed tokens, so no gateway instance keeps state
 * between calls: `version (1 byte) ‖ HMAC-SHA256(key, payload) ‖ payload
 * (JSON)`. Every kind of token signs with its own key, derived from the
 * cluster secret and `purpose`, so one kind never passes for another.
 */
export class SignedTokens<Claims extends object> {
  readonly #key: Buffer;
  readonly #wording: TokenWording;

  constructor(secret: string, purpose: string, wording: TokenWording) {
    this.#key = createHmac("sha256", secret).update(purpose).digest();
    this.#wording = wording;
  }

  sign(claims: Claims, callerToken: string, expiresAt: number): Uint8Array {
    const envelope: Envelope = { exp: expiresAt, tok: fingerprint(callerToken) };
    const body = Buffer.from(JSON.stringify({ ...claims, ...envelope }));
    const mac = createHmac("sha256", this.#key).update(body).digest();
    return Buffer.concat([Buffer.of(version), mac, body]);
  }

  /** The claims of a token this service signed for `callerToken`, with its expiry; throws a ConnectError otherwise. */
  verify(token: Uint8Array, callerToken: string, now: number): { claims: Claims; expiresAt: number } {
    const { noun } = this.#wording;
    const bytes = Buffer.from(token.buffer, token.byteOffset, token.byteLength);
    if (bytes.length <= 1 + macLength || bytes[0] !== version) {
      throw new ConnectError(`malformed ${noun}: ${this.#wording.malformed}`, Code.InvalidArgument);
    }
    const mac = bytes.subarray(1, 1 + macLength);
    const body = bytes.subarray(1 + macLength);
    const expected = createHmac("sha256", this.#key).update(body).digest();
    if (!timingSafeEqual(mac, expected)) {
      throw new ConnectError(`${noun} was not issued by this service`, Code.InvalidArgument);
    }
    const { exp, tok, ...claims } = JSON.parse(body.toString("utf8")) as Claims & Envelope;
    if (tok !== fingerprint(callerToken)) {
      throw new ConnectError(`${noun} belongs to another token`, Code.PermissionDenied);
    }
    if (exp < now) {
      throw new ConnectError(`${noun} expired: ${this.#wording.expired}`, Code.FailedPrecondition);
    }
    return { claims: claims as unknown as Claims, expiresAt: exp };
  }
}

function fingerprint(token: string): string {
  return createHash("sha256").update(token).digest("base64url").slice(0, 22);
}
