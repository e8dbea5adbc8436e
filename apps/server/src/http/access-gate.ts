/**
 * Failure case 27, the access-token half: with `MODELDOCK_ACCESS_TOKEN` set, every API call and
 * WebSocket must carry it, as `Authorization: Bearer <token>` (curl, programs) or as the session
 * cookie the web app gets from `POST /auth/session`.
 *
 * The cookie holds an HMAC of the token, never the token: it cannot be turned back into the token,
 * it survives a restart, and changing the token signs every browser out. Every comparison is of
 * fixed-length SHA-256 digests with `timingSafeEqual`, so timing says nothing about the secret.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ModeldockError } from '@modeldock/engine';
import { isLoopbackAddress } from './origin-guard';

export const SESSION_COOKIE_NAME = 'modeldock_session';
/** Browsers keep the session this long; the token itself never expires. */
const SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;
const SESSION_LABEL = 'modeldock browser session v1';

export type AccessVerdict = 'open' | 'authenticated' | 'missing' | 'wrong';

export interface AccessGateOptions {
  /** null: no token configured, everything is open (today's behaviour). */
  token: string | null;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function sameSecret(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(digest(presented), expectedDigest);
}

/** The bearer token in an Authorization header, or null when there is none. */
function bearerTokenOf(headers: IncomingHttpHeaders): string | null {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match ? match[1]! : null;
}

/** The session cookie's value from a Cookie header, or null. */
export function sessionCookieOf(headers: IncomingHttpHeaders): string | null {
  for (const part of (headers.cookie ?? '').split(';')) {
    const equals = part.indexOf('=');
    if (equals !== -1 && part.slice(0, equals).trim() === SESSION_COOKIE_NAME) {
      return part.slice(equals + 1).trim();
    }
  }
  return null;
}

export function createAccessGate({ token }: AccessGateOptions) {
  const sessionValue =
    token === null ? null : createHmac('sha256', token).update(SESSION_LABEL).digest('base64url');
  const tokenDigest = token === null ? null : digest(token);
  const sessionDigest = sessionValue === null ? null : digest(sessionValue);

  /** Whether a request (HTTP or WebSocket upgrade) may use the API. */
  function check(headers: IncomingHttpHeaders): AccessVerdict {
    if (tokenDigest === null || sessionDigest === null) return 'open';
    const bearer = bearerTokenOf(headers);
    const cookie = sessionCookieOf(headers);
    if (bearer === null && cookie === null) return 'missing';
    // A right cookie beside a stale bearer (or the reverse) still gets in: either proves the token.
    if (bearer !== null && sameSecret(bearer, tokenDigest)) return 'authenticated';
    if (cookie !== null && sameSecret(cookie, sessionDigest)) return 'authenticated';
    return 'wrong';
  }

  /** Whether the request presents a bearer token, and whether it is the right one. */
  function bearerVerdict(headers: IncomingHttpHeaders): 'none' | 'right' | 'wrong' {
    if (tokenDigest === null) return 'none';
    const bearer = bearerTokenOf(headers);
    if (bearer === null) return 'none';
    return sameSecret(bearer, tokenDigest) ? 'right' : 'wrong';
  }

  /** Whether `presented` (from the login form) is the token. */
  function isToken(presented: string): boolean {
    return tokenDigest !== null && sameSecret(presented, tokenDigest);
  }

  return {
    required: token !== null,
    check,
    bearerVerdict,
    isToken,
    /** The cookie's value; registered as a secret so no log line can carry it. */
    sessionValue,
    /** Set-Cookie that signs a browser in: script cannot read it, other sites cannot send it. */
    sessionCookie(): string {
      return `${SESSION_COOKIE_NAME}=${sessionValue ?? ''}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_SECONDS}`;
    },
    /** Set-Cookie that signs a browser out. */
    clearedSessionCookie(): string {
      return `${SESSION_COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
    },
  };
}

export type AccessGate = ReturnType<typeof createAccessGate>;

/** The refusal every transport gives, with a message a person can act on. */
export function accessTokenError(verdict: 'missing' | 'wrong'): ModeldockError {
  const what =
    verdict === 'wrong' ? 'the token or session given does not match' : 'the request carried none';
  return new ModeldockError(
    'ACCESS_TOKEN_REQUIRED',
    `This modeldock server needs its access token: ${what}. In the web app, enter it when asked; from a program, send it in the Authorization header as a Bearer token. It is the MODELDOCK_ACCESS_TOKEN the server was started with.`,
    { httpStatus: 401 },
  );
}

/** The start-up warning for a server others can reach and use without a token; null when not needed. */
export function unprotectedListenWarning(
  listenHost: string,
  port: number,
  accessToken: string | null,
): string | null {
  if (accessToken !== null || isLoopbackAddress(listenHost)) return null;
  return `warning: modeldock listens on ${listenHost} without an access token: anyone who can reach port ${port} can use it. To require one, set MODELDOCK_ACCESS_TOKEN (at least 24 characters, e.g. from \`openssl rand -hex 24\`) in its environment.`;
}
