/**
 * How a browser signs in when the server has an access token: `POST /auth/session` with
 * `{"token":"…"}` (in the body, never in a URL) sets the HttpOnly session cookie and answers 204;
 * a wrong token gets 401 and no cookie. `DELETE /auth/session` clears the cookie. Both are
 * state-changing, so the origin guard applies as it does to API mutations.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ModeldockError } from '@modeldock/engine';
import type { AccessGate } from './access-gate';
import { accessTokenError } from './access-gate';
import type { OriginGuard } from './origin-guard';
import { throttledError } from './api-request-gate';
import type { ApiRequestGate } from './api-request-gate';
import { clientAddressKey } from './guess-throttle';
import type { GuessThrottle } from './guess-throttle';
import { sendJsonError } from './json-error';

export const SESSION_PATH = '/auth/session';
/** A token is at most 1 KiB; anything much larger is not a login. */
const MAX_BODY_BYTES = 8 * 1024;

export function isSessionPath(url: string | undefined): boolean {
  return new URL(url ?? '/', 'http://localhost').pathname === SESSION_PATH;
}

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function presentedToken(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { token?: unknown } | null;
    return typeof parsed?.token === 'string' ? parsed.token.trim() : null;
  } catch {
    return null;
  }
}

export interface SessionEndpointOptions {
  accessGate: AccessGate;
  originGuard: OriginGuard;
  /** Counts wrong tokens typed into the sign-in form like wrong bearer tokens. */
  gate: Pick<ApiRequestGate, 'noteWrongGuess'>;
  throttle: GuessThrottle;
}

export function createSessionEndpoint({
  accessGate,
  originGuard,
  gate,
  throttle,
}: SessionEndpointOptions) {
  return async function handleSession(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    if (request.method !== 'POST' && request.method !== 'DELETE') {
      sendJsonError(
        response,
        'METHOD_NOT_SUPPORTED',
        new ModeldockError(
          'INVALID_INPUT',
          `${SESSION_PATH} takes POST (sign in) or DELETE (sign out)`,
        ),
        { allow: 'POST, DELETE' },
      );
      return;
    }
    const verdict = originGuard.checkRequest(request.headers);
    if (!verdict.allowed) {
      if (verdict.malformed) {
        sendJsonError(response, 'BAD_REQUEST', new ModeldockError('INVALID_INPUT', verdict.reason));
      } else {
        sendJsonError(response, 'FORBIDDEN', new ModeldockError('FORBIDDEN', verdict.reason));
      }
      return;
    }
    if (request.method === 'DELETE') {
      response.writeHead(204, {
        'set-cookie': accessGate.clearedSessionCookie(),
        'cache-control': 'no-store',
      });
      response.end();
      return;
    }
    if (!accessGate.required) {
      sendJsonError(
        response,
        'NOT_FOUND',
        new ModeldockError(
          'INVALID_INPUT',
          'This modeldock server has no access token (MODELDOCK_ACCESS_TOKEN is not set): there is nothing to sign in to.',
        ),
      );
      return;
    }
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      sendJsonError(
        response,
        'UNSUPPORTED_MEDIA_TYPE',
        new ModeldockError('INVALID_INPUT', 'Send the token as JSON: {"token":"…"}'),
      );
      return;
    }
    let body: string;
    try {
      body = await readBody(request);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      sendJsonError(
        response,
        'PAYLOAD_TOO_LARGE',
        new ModeldockError('INVALID_INPUT', 'That is too large to be an access token'),
      );
      return;
    }
    const token = presentedToken(body);
    if (token === null || token === '') {
      sendJsonError(response, 'UNAUTHORIZED', accessTokenError('missing'));
      return;
    }
    const address = clientAddressKey(request.socket.remoteAddress);
    const waitMs = throttle.waitMs(address);
    if (waitMs > 0) {
      const refusal = throttledError(waitMs);
      sendJsonError(response, refusal.code, refusal.error, refusal.headers);
      return;
    }
    if (!accessGate.isToken(token)) {
      gate.noteWrongGuess(address);
      sendJsonError(response, 'UNAUTHORIZED', accessTokenError('wrong'));
      return;
    }
    throttle.recordRight(address);
    response.writeHead(204, {
      'set-cookie': accessGate.sessionCookie(),
      'cache-control': 'no-store',
    });
    response.end();
  };
}
