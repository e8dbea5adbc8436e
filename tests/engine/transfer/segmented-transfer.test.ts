/** Large files over several connections: ranges, per-segment resume after a crash, work stealing, fallbacks. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import type { DurableProgress, FileRecord } from '@modeldock/engine';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

let origin: FaultOrigin;
let harness: Harness;

const SEGMENTED = { segmentThresholdBytes: 64 * 1024, connectionsPerFile: 4, syncIntervalMs: 10 };

beforeEach(async () => {
  origin = await startFaultOrigin();
  harness = await createHarness(SEGMENTED);
});
afterEach(async () => {
  await harness.dispose();
  await origin.close();
});

function rangeStart(header: unknown): number | null {
  const match = /^bytes=(\d+)-(\d*)$/.exec(String(header ?? ''));
  return match ? Number(match[1]) : null;
}

function resumeRecord(file: FileRecord, durable: DurableProgress): FileRecord {
  return {
    ...file,
    bytesDone: durable.bytesDone,
    segments: durable.segments,
    validator: durable.validator,
    bytesTotal: durable.bytesTotal,
  };
}

describe('segmented transfer', () => {
  it('splits a large file across connections with bounded Range + If-Range and verifies it', async () => {
    const served = origin.setFile('/large.bin', deterministicBytes(1_000_000, 61));
    const file = fileRecord(served.url, { expectedSha256: served.sha256 });
    const record = recorder();
    const result = await transferFile(file, harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect((await readFile(path.join(harness.root, file.relativePath))).equals(served.bytes)).toBe(
      true,
    );
    const requests = origin.requestsTo('/large.bin');
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const request of requests.slice(1)) {
      expect(request.headers.range).toMatch(/^bytes=\d+-\d+$/);
      expect(request.headers['if-range']).toBe(served.etag);
      expect(request.status).toBe(206);
    }
    expect(record.durable.some((progress) => (progress.segments?.length ?? 0) >= 4)).toBe(true);
  });

  it('runs 16 connections on one stop signal without Node warning of an abort-listener leak', async () => {
    const wide = await createHarness({ ...SEGMENTED, connectionsPerFile: 16 });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(`${warning.name}: ${warning.message}`);
    };
    process.on('warning', onWarning);
    try {
      const served = origin.setFile('/wide.bin', deterministicBytes(2_000_000, 64));
      origin.setThrottle(2_000_000);
      const file = fileRecord(served.url, { expectedSha256: served.sha256 });
      const stop = new AbortController();
      const result = await transferFile(
        file,
        wide.context({ signal: stop.signal }),
        recorder().callbacks,
      );
      expect(result.sha256).toBe(served.sha256);
      expect(origin.requestsTo('/wide.bin').length).toBeGreaterThanOrEqual(16);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((text) => text.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await wide.dispose();
    }
  });

  it('resumes every segment after a simulated crash, re-fetching little more than the missing bytes', async () => {
    const size = 1_000_000;
    const served = origin.setFile('/crash.bin', deterministicBytes(size, 62));
    origin.setThrottle(400_000);
    const file = fileRecord(served.url, { expectedSha256: served.sha256 });
    const crash = new AbortController();
    let crashed = false;
    const first = recorder({
      onBytes: (bytes) => {
        if (!crashed && bytes > size * 0.4) {
          crashed = true;
          crash.abort(new Error('power cut'));
        }
      },
      // After the crash nothing reaches the database any more.
      ignoreDurable: () => crashed,
    });
    await expect(
      transferFile(file, harness.context({ signal: crash.signal }), first.callbacks),
    ).rejects.toBeDefined();
    const durable = first.lastDurable()!;
    expect(durable.segments!.length).toBeGreaterThanOrEqual(4);
    expect(durable.bytesDone).toBeGreaterThan(0);
    expect(durable.bytesDone).toBeLessThan(size);
    const sentBeforeCrash = origin.bytesSentFor('/crash.bin');

    const requestsBefore = origin.requestsTo('/crash.bin').length;
    const result = await transferFile(
      resumeRecord(file, durable),
      harness.context(),
      recorder().callbacks,
    );
    expect(result.sha256).toBe(served.sha256);

    const resumed = origin.requestsTo('/crash.bin').slice(requestsBefore);
    const unfinished = durable.segments!.filter(
      (segment) => segment.done < segment.end - segment.start,
    );
    for (const segment of unfinished) {
      expect(
        resumed.some(
          (request) => rangeStart(request.headers.range) === segment.start + segment.done,
        ),
      ).toBe(true);
    }
    expect(resumed.every((request) => request.headers['if-range'] === served.etag)).toBe(true);
    const total = origin.bytesSentFor('/crash.bin');
    expect(total - sentBeforeCrash).toBeLessThan(size - durable.bytesDone + 100_000);
    expect(total).toBeLessThan(size * 1.4);
  });

  it('splits the largest remaining segment when a connection finishes early', async () => {
    await harness.dispose();
    harness = await createHarness({ ...SEGMENTED, connectionsPerFile: 2 });
    const size = 512 * 1024;
    const served = origin.setFile('/steal.bin', deterministicBytes(size, 63));
    const half = size / 2;
    const file = fileRecord(served.url, {
      bytesDone: half - 4096,
      bytesTotal: size,
      validator: { etag: served.etag, lastModified: null },
      segments: [
        { start: 0, end: half, done: half - 4096 },
        { start: half, end: size, done: 0 },
      ],
    });
    // The partial from the "earlier run": the first segment's done bytes are on disk.
    const { writeFile, mkdir } = await import('node:fs/promises');
    const { tempPathFor } = await import('@modeldock/engine');
    const temp = tempPathFor(path.join(harness.root, file.relativePath), file.id);
    await mkdir(path.dirname(temp), { recursive: true });
    await writeFile(temp, served.bytes.subarray(0, half - 4096));
    origin.setThrottle(300_000);

    const result = await transferFile(file, harness.context(), recorder().callbacks);
    expect(result.sha256).toBe(served.sha256);
    const starts = origin
      .requestsTo('/steal.bin')
      .map((request) => rangeStart(request.headers.range));
    expect(starts).toContain(half - 4096);
    expect(starts).toContain(half);
    // A third request starts inside the second segment: it was split for the idle connection.
    expect(starts.some((start) => start !== null && start > half)).toBe(true);
  });

  it('falls back to one connection from zero when a segment request is answered with the whole file', async () => {
    const served = origin.setFile('/norange.bin', deterministicBytes(300_000, 64));
    origin.script(
      '/norange.bin',
      { kind: 'serve' },
      { kind: 'ignore-range' },
      { kind: 'ignore-range' },
      { kind: 'ignore-range' },
    );
    origin.setThrottle(2_000_000);
    const record = recorder();
    const result = await transferFile(fileRecord(served.url), harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requestsTo('/norange.bin').at(-1)!.headers.range).toBeUndefined();
    expect(record.stalled[0]?.code).toBe('BAD_CONTENT_RANGE');
  });

  it('takes only the asked bytes from a server that answers each range with the rest of the file, and drops those connections', async () => {
    const size = 2_000_000;
    const served = origin.setFile('/overlong.bin', deterministicBytes(size, 74));
    origin.setRangedFault('/overlong.bin', { kind: 'overlong-range' });
    const record = recorder();
    const result = await transferFile(
      fileRecord(served.url, { bytesTotal: size }),
      harness.context(),
      record.callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    expect(record.stalled).toEqual([]);
    const requests = origin.requestsTo('/overlong.bin');
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const [index, request] of requests.entries()) {
      expect(request.headers.range).toMatch(/^bytes=\d+-\d+$/);
      expect(request.fault).toBe('overlong-range');
      // Stopping mid-body means the connection is destroyed: no later request rides on it.
      const later = requests.slice(index + 1);
      expect(later.some((next) => next.connection === request.connection)).toBe(false);
    }
  });

  it('falls back to one plain connection when range answers keep starting at the wrong byte', async () => {
    const served = origin.setFile('/shifty.bin', deterministicBytes(600_000, 75));
    origin.setRangedFault('/shifty.bin', { kind: 'wrong-content-range', shift: 4096 });
    const record = recorder();
    const result = await transferFile(
      fileRecord(served.url, { bytesTotal: 600_000 }),
      harness.context(),
      record.callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    const failures = record.stalled.filter((state) => state !== null);
    expect(failures.map((state) => state.code)).toEqual(['BAD_CONTENT_RANGE', 'BAD_CONTENT_RANGE']);
    expect(origin.requestsTo('/shifty.bin').at(-1)!.headers.range).toBeUndefined();
    expect(harness.logger.lines.map((line) => line.message)).toContain(
      'the server keeps answering range requests wrongly; downloading the whole file over one connection',
    );
  });

  it('restarts when the file changes while segments download', async () => {
    const before = origin.setFile('/changing.bin', deterministicBytes(400_000, 65));
    const after = deterministicBytes(400_000, 66);
    origin.script('/changing.bin', { kind: 'serve-then-replace', bytes: after });
    const record = recorder();
    const result = await transferFile(fileRecord(before.url), harness.context(), record.callbacks);
    expect(result.sha256).toBe(origin.file('/changing.bin').sha256);
    expect(result.sha256).not.toBe(before.sha256);
    expect(record.stalled[0]?.code).toMatch(/UPSTREAM_CHANGED|BAD_CONTENT_RANGE/);
  });

  it('fails with UPSTREAM_CHANGED when the file changes under a pinned revision', async () => {
    const before = origin.setFile('/pinned.bin', deterministicBytes(400_000, 67));
    origin.script('/pinned.bin', {
      kind: 'serve-then-replace',
      bytes: deterministicBytes(400_000, 68),
    });
    const file = fileRecord(before.url, { revision: 'v1' });
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      { code: 'UPSTREAM_CHANGED' },
    );
  });

  it('asks only for its own segment first when the size is known in advance', async () => {
    const size = 1_000_000;
    const served = origin.setFile('/known.bin', deterministicBytes(size, 70));
    const result = await transferFile(
      fileRecord(served.url, { bytesTotal: size }),
      harness.context(),
      recorder().callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    const requests = origin.requestsTo('/known.bin');
    expect(requests[0]!.headers.range).toMatch(/^bytes=0-\d+$/);
    expect(requests[0]!.headers['if-range']).toBeUndefined();
    // Bounded requests only; what a split connection had in flight is the only waste.
    expect(requests.every((request) => /^bytes=\d+-\d+$/.test(String(request.headers.range)))).toBe(
      true,
    );
    expect(origin.bytesSentFor('/known.bin')).toBeLessThan(size * 1.4);
  });

  it('asks for the whole file again when a bounded first answer cannot be split (no strong ETag)', async () => {
    const served = origin.setFile('/lm-only.bin', deterministicBytes(300_000, 71), { etag: null });
    const result = await transferFile(
      fileRecord(served.url, { bytesTotal: 300_000 }),
      harness.context(),
      recorder().callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    const requests = origin.requestsTo('/lm-only.bin');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.headers.range).toBeUndefined();
  });

  it('uses one connection when the server has no strong ETag', async () => {
    const served = origin.setFile('/weak.bin', deterministicBytes(300_000, 69), {
      etag: 'W/"weak"',
    });
    const result = await transferFile(
      fileRecord(served.url),
      harness.context(),
      recorder().callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requestsTo('/weak.bin')).toHaveLength(1);
  });
});

describe('files above the small-file size hash their prefix off the main thread', () => {
  it('verifies a 24 MB segmented download', async () => {
    const size = 24 * 1024 * 1024;
    const served = origin.setFile('/big.bin', deterministicBytes(size, 72));
    const record = recorder();
    const result = await transferFile(
      fileRecord(served.url, { expectedSha256: served.sha256 }),
      harness.context(),
      record.callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    expect(record.verifying.at(-1)).toEqual([size, size]);
  });

  it('re-hashes the existing prefix when resuming a 20 MB file', async () => {
    const size = 20 * 1024 * 1024;
    const served = origin.setFile('/resume-big.bin', deterministicBytes(size, 73));
    const file = fileRecord(served.url, {
      expectedSha256: served.sha256,
      bytesDone: 12 * 1024 * 1024,
      bytesTotal: size,
      validator: { etag: served.etag, lastModified: null },
    });
    const { writeFile, mkdir } = await import('node:fs/promises');
    const { tempPathFor } = await import('@modeldock/engine');
    const temp = tempPathFor(path.join(harness.root, file.relativePath), file.id);
    await mkdir(path.dirname(temp), { recursive: true });
    await writeFile(temp, served.bytes.subarray(0, file.bytesDone));
    const single = await createHarness({ segmentThresholdBytes: 64 * 1024 * 1024 });
    try {
      const result = await transferFile(
        file,
        single.context({ modelsRoot: harness.root }),
        recorder().callbacks,
      );
      expect(result.sha256).toBe(served.sha256);
      expect(origin.requestsTo('/resume-big.bin')[0]!.headers.range).toBe(
        `bytes=${file.bytesDone}-`,
      );
    } finally {
      await single.dispose();
    }
  });
});
