/**
 * Error mapping is a middleware on the base procedure: a procedure written with no wrapper at all
 * still answers an engine error with its tRPC code and `modeldockCode`, a client's mistake is never
 * a 500, and a bug of ours still is. Driven through tRPC's fetch handler, so the HTTP status and the
 * JSON body are what a client sees.
 */
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { AnyRouter } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { ModeldockError } from '@modeldock/engine';
import type { DownloadManager } from '@modeldock/engine';
import { publicProcedure, router } from '../../apps/server/src/trpc';
import type { AppContext } from '../../apps/server/src/trpc';
import { appRouter } from '../../apps/server/src/root';

interface ErrorBody {
  error: { message: string; data: { code: string; httpStatus: number; modeldockCode: string | null } };
}

async function callOver(
  api: AnyRouter,
  path: string,
  context: Partial<AppContext>,
  method: 'GET' | 'POST' = 'GET',
): Promise<{ status: number; body: ErrorBody }> {
  const response = await fetchRequestHandler({
    endpoint: '/trpc',
    router: api,
    req: new Request(`http://modeldock.test/trpc/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'POST' ? '{}' : undefined,
    }),
    createContext: () => context as AppContext,
  });
  return { status: response.status, body: (await response.json()) as ErrorBody };
}

const bare = router({
  missingJob: publicProcedure.query(() => {
    throw new ModeldockError('JOB_NOT_FOUND', 'No job with id j1');
  }),
  badState: publicProcedure.mutation(async () => {
    await Promise.resolve();
    throw new ModeldockError('INVALID_STATE', 'A completed job cannot be paused');
  }),
  upstreamDown: publicProcedure.query(() => {
    throw new ModeldockError('SERVER_ERROR', 'Hugging Face answered HTTP 503');
  }),
  diskFullErrno: publicProcedure.query(() => {
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  }),
  bug: publicProcedure.query(() => {
    throw new TypeError('cannot read properties of undefined');
  }),
});

describe('engine errors → API errors, with no wrapper in the procedure', () => {
  it('a missing job is 404 JOB_NOT_FOUND with the engine message', async () => {
    const { status, body } = await callOver(bare, 'missingJob', {});
    expect(status).toBe(404);
    expect(body.error.data.code).toBe('NOT_FOUND');
    expect(body.error.data.modeldockCode).toBe('JOB_NOT_FOUND');
    expect(body.error.message).toBe('No job with id j1');
  });

  it('a transition the job does not allow is 409 INVALID_STATE, also from an async mutation', async () => {
    const { status, body } = await callOver(bare, 'badState', {}, 'POST');
    expect(status).toBe(409);
    expect(body.error.data.modeldockCode).toBe('INVALID_STATE');
  });

  it("an upstream's failure is 502, not 500", async () => {
    const { status, body } = await callOver(bare, 'upstreamDown', {});
    expect(status).toBe(502);
    expect(body.error.data.modeldockCode).toBe('SERVER_ERROR');
  });

  it('a system error gets its modeldock code (ENOSPC → DISK_FULL)', async () => {
    const { body } = await callOver(bare, 'diskFullErrno', {});
    expect(body.error.data.modeldockCode).toBe('DISK_FULL');
  });

  it('a bug of ours is still 500 INTERNAL', async () => {
    const { status, body } = await callOver(bare, 'bug', {});
    expect(status).toBe(500);
    expect(body.error.data.modeldockCode).toBe('INTERNAL');
  });

  it('input validation keeps its 400 and names the field', async () => {
    const { status, body } = await callOver(
      appRouter,
      `downloads.get?input=${encodeURIComponent(JSON.stringify({ jobId: '' }))}`,
      {},
    );
    expect(status).toBe(400);
    expect(body.error.data.modeldockCode).toBe('INVALID_INPUT');
    expect(body.error.message).toMatch(/jobId/);
  });

  it('the procedures that once skipped the wrapper map too (downloads.limits, setGlobalBandwidthLimit)', async () => {
    const manager = {
      getBandwidthLimits: () => {
        throw new ModeldockError('SHUTDOWN', 'modeldock is shutting down');
      },
      setGlobalBandwidthLimit: () => {
        throw new ModeldockError('INVALID_INPUT', 'bytesPerSecond must be positive');
      },
    } as unknown as DownloadManager;
    const limits = await callOver(appRouter, 'downloads.limits', { manager });
    expect(limits.status).toBe(503);
    expect(limits.body.error.data.modeldockCode).toBe('SHUTDOWN');
    const setLimit = await callOver(appRouter, 'downloads.setGlobalBandwidthLimit', { manager }, 'POST');
    // The body '{}' lacks bytesPerSecond: validation answers before the engine is asked.
    expect(setLimit.status).toBe(400);
  });
});

describe('subscriptions', () => {
  it('an error thrown while a stream runs reaches the client as its API error', async () => {
    const streams = router({
      events: publicProcedure.subscription(async function* () {
        yield 1;
        throw new ModeldockError('JOB_NOT_FOUND', 'No job with id j2');
      }),
    });
    const caller = streams.createCaller({} as AppContext);
    const received: unknown[] = [];
    const failure = await (async () => {
      try {
        for await (const value of await caller.events()) received.push(value);
        return null;
      } catch (error) {
        return error as { code?: string; cause?: { code?: string } };
      }
    })();
    expect(received).toEqual([1]);
    expect(failure?.code).toBe('NOT_FOUND');
    expect(failure?.cause?.code).toBe('JOB_NOT_FOUND');
  });
});
