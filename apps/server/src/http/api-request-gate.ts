/**
 * Every API request — HTTP query, mutation, subscription stream, WebSocket upgrade — passes this
 * gate before tRPC sees it: shutting down, a malformed Host, a foreign site, too many wrong tokens
 * from this address, no token. Checking before tRPC matters: a subscription over HTTP starts its
 * event stream before tRPC's context can refuse it, and tRPC builds a URL from the Host header.
 */
import type { IncomingMessage } from 'node:http';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ModeldockError } from '@modeldock/engine';
import type pino from 'pino';
import { accessTokenError } from './access-gate';
import type { AccessGate } from './access-gate';
import { clientAddressKey } from './guess-throttle';
import type { GuessThrottle } from './guess-throttle';
import type { OriginGuard } from './origin-guard';

export interface ApiRefusal {
  code: TRPC_ERROR_CODE_KEY;
  error: ModeldockError;
  headers?: Record<string, string>;
}

export interface ApiRequestGateOptions {
  originGuard: OriginGuard;
  accessGate: AccessGate;
  throttle: GuessThrottle;
  isAccepting: () => boolean;
  logger: pino.Logger;
}

export function throttledError(waitMs: number): ApiRefusal {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return {
    code: 'TOO_MANY_REQUESTS',
    error: new ModeldockError(
      'ACCESS_TOKEN_THROTTLED',
      `Too many wrong access tokens came from this address: try again in ${seconds} s with the MODELDOCK_ACCESS_TOKEN the server was started with.`,
      { httpStatus: 429 },
    ),
    headers: { 'retry-after': String(seconds) },
  };
}

export function createApiRequestGate(options: ApiRequestGateOptions) {
  const { originGuard, accessGate, throttle, isAccepting, logger } = options;

  /** Counts a presented token against (or for) the address; a refusal when it must wait. */
  function weighToken(request: IncomingMessage): ApiRefusal | null {
    const bearer = accessGate.bearerVerdict(request.headers);
    if (bearer === 'none') return null;
    const address = clientAddressKey(request.socket.remoteAddress);
    const waitMs = throttle.waitMs(address);
    if (waitMs > 0) return throttledError(waitMs);
    if (bearer === 'right') {
      throttle.recordRight(address);
      return null;
    }
    noteWrongGuess(address);
    return null;
  }

  /** Logs a wrong token with the address it came from (never the token) and counts it. */
  function noteWrongGuess(address: string): void {
    const { wrong, waitMs } = throttle.recordWrong(address);
    logger.warn(
      { address, wrongGuesses: wrong, slowedForMs: waitMs },
      'Wrong access token presented',
    );
  }

  /** Why this request may not use the API, or null when it may. `publicOnly`: only `health`. */
  function check(request: IncomingMessage, publicOnly: boolean): ApiRefusal | null {
    if (!isAccepting()) {
      return {
        code: 'SERVICE_UNAVAILABLE',
        error: new ModeldockError('SHUTDOWN', 'modeldock is shutting down; try again in a moment'),
      };
    }
    const verdict = originGuard.checkRequest(request.headers);
    if (!verdict.allowed) {
      return verdict.malformed
        ? { code: 'BAD_REQUEST', error: new ModeldockError('INVALID_INPUT', verdict.reason) }
        : { code: 'FORBIDDEN', error: new ModeldockError('FORBIDDEN', verdict.reason) };
    }
    if (publicOnly) return null;
    const throttled = weighToken(request);
    if (throttled) return throttled;
    const access = accessGate.check(request.headers);
    if (access === 'missing' || access === 'wrong') {
      return { code: 'UNAUTHORIZED', error: accessTokenError(access) };
    }
    return null;
  }

  return { check, noteWrongGuess };
}

export type ApiRequestGate = ReturnType<typeof createApiRequestGate>;
