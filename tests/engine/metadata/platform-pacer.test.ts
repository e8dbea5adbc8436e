import { describe, expect, it } from 'vitest';
import { createPlatformPacer, ModeldockError } from '@modeldock/engine';
import type { PacerWait } from '@modeldock/engine';
import { steppingClock } from './helpers/metadata-context';

const rateLimited = () => new ModeldockError('RATE_LIMITED', 'Civitai is limiting requests', { httpStatus: 429, retryable: true });

describe('the platform pacer', () => {
  it('spaces requests to the configured rate: 4 per second start 250 ms apart', async () => {
    const clock = steppingClock(0);
    const pacer = createPlatformPacer({ platform: 'civitai', clock, requestsPerSecond: 4 });
    const startedAt: number[] = [];
    for (let i = 0; i < 5; i++) await pacer.run(async () => startedAt.push(clock.now()));
    expect(startedAt).toEqual([0, 250, 500, 750, 1000]);
    expect(pacer.started).toBe(5);
  });

  it('backs off after a 429 without Retry-After from 1 s doubling up to 30 s, telling the caller it waits', async () => {
    const clock = steppingClock(0);
    const pacer = createPlatformPacer({ platform: 'civitai', clock, requestsPerSecond: 1000, random: () => 1, retry: { attempts: 8 } });
    const waits: PacerWait[] = [];
    let calls = 0;
    const result = await pacer.run(
      async () => {
        calls++;
        if (calls < 7) throw rateLimited();
        return 'ok';
      },
      { onWait: (wait) => waits.push(wait) },
    );
    expect(result).toBe('ok');
    expect(waits.map((wait) => wait.delayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000]);
    expect(waits.every((wait) => wait.reason === 'rate-limited' && wait.platform === 'civitai')).toBe(true);
  });

  it('holds back every caller of the platform after a 429, not only the one that met it', async () => {
    const clock = steppingClock(0);
    const pacer = createPlatformPacer({ platform: 'civitai', clock, requestsPerSecond: 1000, random: () => 1 });
    let first = true;
    await pacer.run(async () => {
      if (first) {
        first = false;
        throw rateLimited();
      }
    });
    const before = clock.now();
    let startedAt = -1;
    await pacer.run(async () => {
      startedAt = clock.now();
    });
    expect(startedAt).toBeGreaterThanOrEqual(before);
    expect(clock.sleeps[0]).toBe(1_000);
  });

  it('honours a Retry-After the hub did send, capped at 30 s, and gives up after its attempts', async () => {
    const clock = steppingClock(0);
    const pacer = createPlatformPacer({ platform: 'huggingface', clock, retry: { attempts: 3 } });
    const waits: number[] = [];
    const failure = pacer.run(
      async () => {
        throw new ModeldockError('RATE_LIMITED', 'limited', { retryable: true, retryAfterMs: 120_000 });
      },
      { onWait: (wait) => waits.push(wait.delayMs) },
    );
    await expect(failure).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(waits).toEqual([30_000, 30_000]);
  });

  it('does not retry what cannot get better, and stops when cancelled', async () => {
    const clock = steppingClock(0);
    const pacer = createPlatformPacer({ platform: 'civitai', clock });
    let calls = 0;
    await expect(
      pacer.run(async () => {
        calls++;
        throw new ModeldockError('REMOTE_NOT_FOUND', 'no such model');
      }),
    ).rejects.toMatchObject({ code: 'REMOTE_NOT_FOUND' });
    expect(calls).toBe(1);
    const controller = new AbortController();
    controller.abort(new ModeldockError('CANCELLED', 'cancelled'));
    await expect(pacer.run(async () => 'never', { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('reports a server error wait as such', async () => {
    const clock = steppingClock(0);
    const pacer = createPlatformPacer({ platform: 'civitai', clock, random: () => 0 });
    const reasons: string[] = [];
    let calls = 0;
    await pacer.run(
      async () => {
        if (calls++ === 0) throw new ModeldockError('SERVER_ERROR', 'HTTP 502', { retryable: true });
      },
      { onWait: (wait) => reasons.push(wait.reason) },
    );
    expect(reasons).toEqual(['server-error']);
  });
});
