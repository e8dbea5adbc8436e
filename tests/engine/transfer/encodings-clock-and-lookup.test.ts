/** Compressed bodies (case 15), the system clock, and the guarded DNS lookup. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { createSystemClock } from '@modeldock/engine/internal/clock/system-clock';
import { createGuardedLookup } from '@modeldock/engine/internal/http/address-guard';
import type { ResolveAll } from '@modeldock/engine/internal/http/address-guard';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, failureOf, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

describe('15. compressed bodies', () => {
  let origin: FaultOrigin;
  let harness: Harness;
  beforeEach(async () => {
    origin = await startFaultOrigin();
    harness = await createHarness();
  });
  afterEach(async () => {
    await harness.dispose();
    await origin.close();
  });

  it.each(['deflate', 'deflate-raw', 'br'] as const)(
    'decodes %s and verifies the decoded bytes',
    async (encoding) => {
      const bytes = Buffer.concat([Buffer.alloc(100_000, 3), deterministicBytes(20_000, 101)]);
      const served = origin.setFile('/enc.bin', bytes);
      origin.script('/enc.bin', { kind: 'encoded', encoding });
      const record = recorder();
      const result = await transferFile(
        fileRecord(served.url, { expectedSha256: served.sha256 }),
        harness.context(),
        record.callbacks,
      );
      expect(result).toMatchObject({ sha256: served.sha256, bytesTotal: bytes.length });
    },
  );

  it('restarts a cut-off compressed body from zero and completes', async () => {
    const bytes = deterministicBytes(50_000, 102);
    const served = origin.setFile('/cut.bin', bytes);
    origin.script('/cut.bin', { kind: 'encoded', encoding: 'gzip', truncateAt: 20_000 });
    const record = recorder();
    const result = await transferFile(fileRecord(served.url), harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(record.stalled[0]).toMatchObject({
      code: 'PREMATURE_EOF',
      reason: expect.stringContaining('compressed body'),
    });
    expect(origin.requestsTo('/cut.bin')[1]!.headers.range).toBeUndefined();
  });

  it('refuses an encoding it cannot decode', async () => {
    const served = origin.setFile('/lzw.bin', deterministicBytes(1000, 103));
    origin.script('/lzw.bin', { kind: 'encoded', encoding: 'compress' });
    const error = await failureOf(
      transferFile(fileRecord(served.url), harness.context(), recorder().callbacks),
    );
    expect(error).toMatchObject({
      code: 'HTTP_ERROR',
      message: expect.stringContaining('"compress"'),
    });
  });
});

describe('system clock', () => {
  it('sleeps and can be woken by an abort', async () => {
    const clock = createSystemClock();
    const before = clock.now();
    await clock.sleep(5);
    expect(clock.now()).toBeGreaterThanOrEqual(before);
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    await expect(clock.sleep(1, controller.signal)).rejects.toThrow('stop');
    const silent = new AbortController();
    silent.abort();
    await expect(clock.sleep(1, silent.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('guarded DNS lookup', () => {
  const resolving =
    (
      addresses: Array<{ address: string; family: number }>,
      error: NodeJS.ErrnoException | null = null,
    ): ResolveAll =>
    (_hostname, _options, callback) =>
      callback(error, addresses);

  const lookup = (resolve: ResolveAll, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>(
      (done) => {
        createGuardedLookup(resolve)(
          'models.example.com',
          { all } as never,
          (error, address, family) => done({ error, address, family }),
        );
      },
    );

  it('answers in the shape asked for (one address or all)', async () => {
    const publicAddresses = [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ];
    expect(await lookup(resolving(publicAddresses), false)).toEqual({
      error: null,
      address: '93.184.216.34',
      family: 4,
    });
    expect(await lookup(resolving(publicAddresses), true)).toEqual({
      error: null,
      address: publicAddresses,
      family: undefined,
    });
  });

  it('refuses when any resolved address is private', async () => {
    const result = await lookup(
      resolving([
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ]),
      false,
    );
    expect(result.error).toMatchObject({ code: 'PRIVATE_ADDRESS' });
  });

  it('passes DNS errors through and treats an empty answer as not found', async () => {
    const failure = Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    expect((await lookup(resolving([], failure), true)).error).toBe(failure);
    expect((await lookup(resolving([]), false)).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
