/** Failure cases 6–15: servers that ignore ranges, lie about them, change files, refuse, or send the wrong thing. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { tempPathFor } from '@modeldock/engine';
import type { FileRecord } from '@modeldock/engine';
import { deterministicBytes, sha256Hex, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, failureOf, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

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

function finalPath(file: FileRecord): string {
  return path.join(harness.root, file.relativePath);
}

function tempPath(file: FileRecord): string {
  return tempPathFor(finalPath(file), file.id);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Puts `bytes` where an interrupted earlier run would have left them, and returns the record that run saved. */
async function leavePartial(
  file: FileRecord,
  bytes: Buffer,
  saved: Partial<FileRecord>,
): Promise<FileRecord> {
  await mkdir(path.dirname(tempPath(file)), { recursive: true });
  await writeFile(tempPath(file), bytes);
  return { ...file, bytesDone: bytes.length, ...saved };
}

describe('6. Range ignored on resume', () => {
  it('restarts from byte 0 and never appends the 200 body to the partial', async () => {
    const served = origin.setFile('/ignore.bin', deterministicBytes(200_000, 11));
    origin.script('/ignore.bin', { kind: 'ignore-range' });
    const base = fileRecord(served.url);
    const file = await leavePartial(base, served.bytes.subarray(0, 80_000), {
      validator: { etag: served.etag, lastModified: served.lastModified },
      bytesTotal: 200_000,
    });
    const record = recorder();
    const result = await transferFile(file, harness.context(), record.callbacks);
    expect(result.bytesTotal).toBe(200_000);
    const bytes = await readFile(finalPath(file));
    expect(bytes.length).toBe(200_000);
    expect(bytes.equals(served.bytes)).toBe(true);
    const [request] = origin.requestsTo('/ignore.bin');
    expect(request!.headers.range).toBe('bytes=80000-');
    expect(request!.status).toBe(200);
    // The restart is recorded as zero durable bytes before any byte of the new body.
    expect(record.durable[0]!.bytesDone).toBe(0);
  });
});

describe('7. 206 with a wrong Content-Range', () => {
  it('rejects it as BAD_CONTENT_RANGE and restarts the file', async () => {
    const served = origin.setFile('/shift.bin', deterministicBytes(150_000, 12));
    origin.script('/shift.bin', { kind: 'wrong-content-range', shift: -1000 });
    const file = await leavePartial(fileRecord(served.url), served.bytes.subarray(0, 50_000), {
      validator: { etag: served.etag, lastModified: served.lastModified },
      bytesTotal: 150_000,
    });
    const record = recorder();
    const result = await transferFile(file, harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(record.stalled[0]?.code).toBe('BAD_CONTENT_RANGE');
    const requests = origin.requestsTo('/shift.bin');
    expect(requests[1]!.headers.range).toBeUndefined();
  });

  it('rejects a Content-Range whose total differs from the known size', async () => {
    const served = origin.setFile('/total.bin', deterministicBytes(90_000, 13));
    origin.script('/total.bin', { kind: 'wrong-total', delta: 5 });
    const file = await leavePartial(fileRecord(served.url), served.bytes.subarray(0, 30_000), {
      validator: { etag: served.etag, lastModified: null },
      bytesTotal: 90_000,
    });
    const record = recorder();
    expect((await transferFile(file, harness.context(), record.callbacks)).sha256).toBe(
      served.sha256,
    );
    expect(record.stalled[0]?.code).toBe('BAD_CONTENT_RANGE');
  });
});

describe('8. ETag or size changes between requests', () => {
  it('discards the partial and downloads the new version when nothing was pinned', async () => {
    const oldBytes = deterministicBytes(100_000, 14);
    const served = origin.setFile('/moving.bin', deterministicBytes(100_000, 15));
    const file = await leavePartial(fileRecord(served.url), oldBytes.subarray(0, 40_000), {
      validator: { etag: '"old-version"', lastModified: null },
      bytesTotal: 100_000,
    });
    const result = await transferFile(file, harness.context(), recorder().callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect((await readFile(finalPath(file))).equals(served.bytes)).toBe(true);
  });

  it('fails with UPSTREAM_CHANGED and deletes the partial when the revision is pinned', async () => {
    const served = origin.setFile('/pinned.bin', deterministicBytes(100_000, 16));
    const file = await leavePartial(
      fileRecord(served.url, { revision: 'abc123' }),
      deterministicBytes(40_000, 17),
      {
        validator: { etag: '"old-version"', lastModified: null },
        bytesTotal: 100_000,
      },
    );
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      {
        code: 'UPSTREAM_CHANGED',
        message: expect.stringContaining('pinned'),
      },
    );
    expect(await exists(tempPath(file))).toBe(false);
    expect(await exists(finalPath(file))).toBe(false);
  });

  it('fails with UPSTREAM_CHANGED when the size changed under a pinned checksum', async () => {
    const served = origin.setFile('/grown.bin', deterministicBytes(120_000, 18), { etag: null });
    const file = await leavePartial(
      fileRecord(served.url, { expectedSha256: 'a'.repeat(64) }),
      served.bytes.subarray(0, 10_000),
      {
        validator: { etag: null, lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' },
        bytesTotal: 100_000,
      },
    );
    origin.script('/grown.bin', { kind: 'ignore-range' });
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      { code: 'UPSTREAM_CHANGED' },
    );
  });
});

describe('9. same size, different bytes, no validator', () => {
  it('is caught by SHA-256: the bad temp is deleted, one retry from zero, then HASH_MISMATCH', async () => {
    const served = origin.setFile('/same-size.bin', deterministicBytes(64_000, 19), {
      etag: null,
      lastModified: null,
    });
    const expected = sha256Hex(deterministicBytes(64_000, 20));
    const file = fileRecord(served.url, { expectedSha256: expected });
    const record = recorder();
    await expect(transferFile(file, harness.context(), record.callbacks)).rejects.toMatchObject({
      code: 'HASH_MISMATCH',
      message: expect.stringContaining('deleted'),
    });
    expect(origin.requestsTo('/same-size.bin')).toHaveLength(2);
    expect(await exists(finalPath(file))).toBe(false);
    expect(await exists(tempPath(file))).toBe(false);
    expect(record.lastDurable()?.bytesDone).toBe(0);
  });

  it('restarts from zero rather than resume a partial that has no validator', async () => {
    const served = origin.setFile('/novalidator.bin', deterministicBytes(50_000, 21), {
      etag: null,
      lastModified: null,
    });
    const file = await leavePartial(fileRecord(served.url), deterministicBytes(20_000, 22), {
      bytesTotal: 50_000,
    });
    const result = await transferFile(file, harness.context(), recorder().callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requestsTo('/novalidator.bin')[0]!.headers.range).toBeUndefined();
  });
});

describe('10. 416 on resume', () => {
  it('completes without a body when the local size equals the remote size and the hash matches', async () => {
    const served = origin.setFile('/whole.bin', deterministicBytes(70_000, 23));
    const file = await leavePartial(
      fileRecord(served.url, { expectedSha256: served.sha256 }),
      served.bytes,
      {
        validator: { etag: served.etag, lastModified: null },
        bytesTotal: 70_000,
      },
    );
    const record = recorder();
    const result = await transferFile(file, harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    const [request] = origin.requestsTo('/whole.bin');
    expect(request!.status).toBe(416);
    expect(origin.bytesSentFor('/whole.bin')).toBe(0);
    expect(record.verifying.at(-1)).toEqual([70_000, 70_000]);
  });

  it('restarts when the 416 size differs from the local size', async () => {
    const served = origin.setFile('/odd416.bin', deterministicBytes(70_000, 24));
    origin.script('/odd416.bin', { kind: 'unsatisfiable' });
    const file = await leavePartial(fileRecord(served.url), served.bytes.subarray(0, 30_000), {
      validator: { etag: served.etag, lastModified: null },
      bytesTotal: 70_000,
    });
    const record = recorder();
    expect((await transferFile(file, harness.context(), record.callbacks)).sha256).toBe(
      served.sha256,
    );
    expect(record.stalled[0]?.code).toBe('BAD_CONTENT_RANGE');
    expect(origin.requestsTo('/odd416.bin')[1]!.headers.range).toBeUndefined();
  });

  it('restarts when the 416 size matches but the hash does not', async () => {
    const served = origin.setFile('/bad416.bin', deterministicBytes(70_000, 25));
    const file = await leavePartial(
      fileRecord(served.url, { expectedSha256: served.sha256 }),
      deterministicBytes(70_000, 26),
      {
        validator: { etag: served.etag, lastModified: null },
        bytesTotal: 70_000,
      },
    );
    const result = await transferFile(file, harness.context(), recorder().callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requestsTo('/bad416.bin').map((request) => request.status)).toEqual([416, 200]);
  });
});

describe('11. 5xx, 429 and Retry-After', () => {
  it('retries 5xx a few times, then succeeds', async () => {
    const served = origin.setFile('/flaky.bin', deterministicBytes(30_000, 27));
    origin.script(
      '/flaky.bin',
      { kind: 'status', status: 503 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
    );
    const record = recorder();
    expect(
      (await transferFile(fileRecord(served.url), harness.context(), record.callbacks)).sha256,
    ).toBe(served.sha256);
    expect(record.stalled.filter(Boolean).map((state) => state!.code)).toEqual([
      'SERVER_ERROR',
      'SERVER_ERROR',
      'SERVER_ERROR',
    ]);
  });

  it('honours Retry-After in seconds', async () => {
    const served = origin.setFile('/limited.bin', deterministicBytes(10_000, 28));
    origin.script('/limited.bin', { kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    await transferFile(fileRecord(served.url), harness.context(), recorder().callbacks);
    expect(harness.clock.sleeps).toEqual([7000]);
  });

  it('honours Retry-After as an HTTP date, capped', async () => {
    const served = origin.setFile('/dated.bin', deterministicBytes(10_000, 29));
    const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
    origin.script('/dated.bin', {
      kind: 'status',
      status: 503,
      headers: { 'retry-after': inAnHour },
    });
    await transferFile(fileRecord(served.url), harness.context(), recorder().callbacks);
    expect(harness.clock.sleeps).toEqual([harness.config.retryAfterCapMs]);
  });

  it('backs off 1–30 s on a 429 without Retry-After', async () => {
    const served = origin.setFile('/civitai.bin', deterministicBytes(10_000, 30));
    origin.script('/civitai.bin', {
      kind: 'status',
      status: 429,
      body: '{"error":"Rate limited"}',
    });
    const record = recorder();
    await transferFile(fileRecord(served.url), harness.context(), record.callbacks);
    expect(harness.clock.sleeps[0]).toBeGreaterThanOrEqual(1000);
    expect(harness.clock.sleeps[0]).toBeLessThanOrEqual(30_000);
    expect(record.stalled[0]).toMatchObject({
      code: 'RATE_LIMITED',
      reason: expect.stringContaining('Rate limited'),
    });
  });
});

describe('12. 401, 403, 404 and expired signed URLs', () => {
  it.each([
    [401, 'AUTH_REQUIRED'],
    [403, 'FORBIDDEN'],
    [404, 'REMOTE_NOT_FOUND'],
    [410, 'REMOTE_NOT_FOUND'],
  ])('%i fails at once with %s and a clear message', async (status, code) => {
    origin.script('/refused.bin', {
      kind: 'status',
      status,
      body: JSON.stringify({ error: 'Nope, not for you' }),
      headers: { 'content-type': 'application/json' },
    });
    const file = fileRecord(`${origin.url}/refused.bin?token=supersecretvalue`);
    const error = await failureOf(transferFile(file, harness.context(), recorder().callbacks));
    expect(error).toMatchObject({ code, message: expect.stringContaining('Nope, not for you') });
    expect(error!.message).not.toContain('supersecretvalue');
    expect(origin.requestsTo('/refused.bin')).toHaveLength(1);
  });

  it('tells the user to add a key when a credential is expected but none is configured', async () => {
    origin.script('/gated.bin', { kind: 'status', status: 401 });
    const file = fileRecord(`${origin.url}/gated.bin`, { credential: 'civitai' });
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      {
        code: 'AUTH_REQUIRED',
        message: expect.stringContaining('Add a Civitai API key'),
      },
    );
  });

  it('retries a 403 from the redirect target once from the original URL, then resumes', async () => {
    const storage = await startFaultOrigin();
    try {
      const served = storage.setFile('/blob', deterministicBytes(40_000, 31));
      origin.script(
        '/api/download',
        { kind: 'redirect', location: `${served.url}?X-Amz-Signature=old` },
        {
          kind: 'redirect',
          location: `${served.url}?X-Amz-Signature=fresh`,
        },
      );
      storage.script('/blob', {
        kind: 'status',
        status: 403,
        body: '<Error><Code>AccessDenied</Code></Error>',
      });
      const result = await transferFile(
        fileRecord(`${origin.url}/api/download`),
        harness.context(),
        recorder().callbacks,
      );
      expect(result.sha256).toBe(served.sha256);
      expect(origin.requestsTo('/api/download')).toHaveLength(2);
    } finally {
      await storage.close();
    }
  });

  it('fails with SIGNED_URL_EXPIRED when the fresh link is refused too', async () => {
    const storage = await startFaultOrigin();
    try {
      const served = storage.setFile('/blob', deterministicBytes(1000, 32));
      origin.script(
        '/api/dl',
        { kind: 'redirect', location: `${served.url}?Signature=abc` },
        {
          kind: 'redirect',
          location: `${served.url}?Signature=def`,
        },
      );
      storage.script('/blob', { kind: 'status', status: 403 }, { kind: 'status', status: 403 });
      const error = await failureOf(
        transferFile(fileRecord(`${origin.url}/api/dl`), harness.context(), recorder().callbacks),
      );
      expect(error).toMatchObject({ code: 'SIGNED_URL_EXPIRED' });
      expect(error.message).not.toMatch(/Signature=(abc|def)/);
    } finally {
      await storage.close();
    }
  });
});

describe('13. an HTML login page or JSON error instead of the file', () => {
  it('is rejected by Content-Type before anything is written, saying what came back', async () => {
    origin.script('/model.safetensors', { kind: 'html' });
    const file = fileRecord(`${origin.url}/model.safetensors`, {
      name: 'model.safetensors',
      relativePath: 'checkpoints/model.safetensors',
    });
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      {
        code: 'NOT_A_MODEL',
        message: expect.stringContaining('HTML page (looks like a login page'),
      },
    );
    expect(await readdir(path.join(harness.root, 'checkpoints'))).toEqual([]);
  });

  it('names the JSON error it got instead of the model', async () => {
    origin.script('/lora.safetensors', {
      kind: 'status',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'Model is in early access' }),
    });
    const file = fileRecord(`${origin.url}/lora.safetensors`, {
      name: 'lora.safetensors',
      relativePath: 'loras/lora.safetensors',
    });
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      {
        code: 'NOT_A_MODEL',
        message: expect.stringContaining('"Model is in early access"'),
      },
    );
  });

  it('is caught by magic bytes after download when the Content-Type lied', async () => {
    const page = Buffer.from('<!doctype html><html><body>Please sign in to download</body></html>');
    const served = origin.setFile('/sneaky.safetensors', page, {
      contentType: 'application/octet-stream',
    });
    const file = fileRecord(served.url, {
      name: 'sneaky.safetensors',
      relativePath: 'checkpoints/sneaky.safetensors',
    });
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      { code: 'NOT_A_MODEL' },
    );
    expect(await exists(finalPath(file))).toBe(false);
    expect(await exists(tempPath(file))).toBe(false);
  });
});

describe('14. redirect loops and too many hops', () => {
  it('fails a loop with TOO_MANY_REDIRECTS', async () => {
    origin.script('/a', { kind: 'redirect', location: '/b' });
    origin.script('/b', { kind: 'redirect', location: '/a' });
    await expect(
      transferFile(fileRecord(`${origin.url}/a`), harness.context(), recorder().callbacks),
    ).rejects.toMatchObject({
      code: 'TOO_MANY_REDIRECTS',
    });
  });

  it('fails at the hop limit', async () => {
    for (let hop = 0; hop <= 11; hop++)
      origin.script(`/hop${hop}`, { kind: 'redirect', location: `/hop${hop + 1}` });
    await expect(
      transferFile(fileRecord(`${origin.url}/hop0`), harness.context(), recorder().callbacks),
    ).rejects.toMatchObject({
      code: 'TOO_MANY_REDIRECTS',
      message: expect.stringContaining('10 redirects'),
    });
    expect(origin.requestsTo('/hop10')).toHaveLength(1);
    expect(origin.requestsTo('/hop11')).toHaveLength(0);
  });

  it('follows relative redirects within the limit', async () => {
    const served = origin.setFile('/files/real.bin', deterministicBytes(5000, 33));
    origin.script('/start', { kind: 'redirect', location: 'files/real.bin', status: 307 });
    expect(
      (
        await transferFile(
          fileRecord(`${origin.url}/start`),
          harness.context(),
          recorder().callbacks,
        )
      ).sha256,
    ).toBe(served.sha256);
  });
});

describe('15. gzip Content-Encoding despite identity', () => {
  it('asks for identity, decodes the body and counts file bytes, not wire bytes', async () => {
    const bytes = Buffer.alloc(300_000, 7);
    const served = origin.setFile('/zipped.bin', bytes);
    origin.script('/zipped.bin', { kind: 'encoded', encoding: 'gzip' });
    const record = recorder();
    const result = await transferFile(
      fileRecord(served.url, { expectedSha256: served.sha256 }),
      harness.context(),
      record.callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    expect(result.bytesTotal).toBe(300_000);
    expect(origin.requestsTo('/zipped.bin')[0]!.headers['accept-encoding']).toBe('identity');
    expect(origin.bytesSentFor('/zipped.bin')).toBeLessThan(10_000);
    expect(Math.max(...record.received)).toBe(300_000);
    // Offsets of a decoded body are not the server's: nothing resumable is recorded.
    expect(record.lastDurable()?.validator).toBeNull();
  });
});
