/**
 * Issue 9.5: an upstream hub's 5xx or a network failure is the upstream's fault, so the API answers
 * 502 or 503 with modeldock's code, never 500 INTERNAL_SERVER_ERROR (which means a bug here).
 */
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { describe, expect, it } from 'vitest';
import { ModeldockError } from '@modeldock/engine';
import type { ErrorCode } from '@modeldock/engine';
import { toTRPCError } from '../../apps/server/src/trpc';

describe('upstream failures map to 502 / 503', () => {
  it.each<[ErrorCode, number]>([
    ['SERVER_ERROR', 502],
    ['HTTP_ERROR', 502],
    ['PREMATURE_EOF', 502],
    ['TOO_MANY_REDIRECTS', 502],
    ['NETWORK_ERROR', 503],
    ['CONNECTION_REFUSED', 503],
    ['DNS_FAILED', 503],
    ['IDLE_TIMEOUT', 503],
    ['DATABASE_UNAVAILABLE', 503],
  ])('%s → HTTP %i', (code, status) => {
    const error = toTRPCError(
      new ModeldockError(code, 'Hugging Face answered HTTP 503 (https://hub.example/api)'),
    );
    expect(getHTTPStatusCodeFromError(error)).toBe(status);
    expect((error.cause as ModeldockError).code).toBe(code);
  });

  it('a bug of ours is still 500', () => {
    expect(getHTTPStatusCodeFromError(toTRPCError(new Error('boom')))).toBe(500);
  });
});
