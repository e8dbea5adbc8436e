/**
 * The bench's own parts that a wrong figure would hide behind: the origin serves exactly the bytes
 * it claims (whole, ranged, If-Range, 416), its files are valid models with the SHA-256 it
 * publishes, its Hugging Face routes list them, the pace never lets a connection run ahead of its
 * rate, and options, medians and targets are read as documented.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeFileSystem } from '@modeldock/engine';
import { checkModelFormat } from '@modeldock/engine/internal/verify/format-check';
import { parseBenchOptions } from './bench-options';
import { checkOutputs } from './measure/output-check';
import { startBenchOrigin } from './origin/bench-origin';
import type { BenchOrigin } from './origin/bench-origin';
import { ConnectionPace } from './origin/connection-pace';
import type { OriginCatalog } from './origin/origin-catalog';
import {
  createPattern,
  PATTERN_BYTES,
  PatternFile,
  safetensorsHeader,
} from './origin/pattern-content';
import { median, summarise } from './report/run-results';
import type { RunRecord } from './report/run-results';
import { judgeTargets } from './report/targets';
import { MIB } from './scenarios';

const SIZE = PATTERN_BYTES + 300_000;
const catalog: OriginCatalog = {
  files: [{ path: 'one.safetensors', size: SIZE, seed: 1 }],
  repos: [
    {
      id: 'bench/repo',
      commit: 'a'.repeat(40),
      files: [
        { path: 'a.safetensors', size: 4096, seed: 2 },
        { path: 'b.safetensors', size: 5000, seed: 3 },
      ],
    },
  ],
  throttleBytesPerSecond: 1_000_000,
};

let origin: BenchOrigin;
let whole: Buffer;

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

beforeAll(async () => {
  origin = await startBenchOrigin(catalog);
  whole = (await get(`${origin.plainUrl}/files/one.safetensors`)).body;
});

afterAll(async () => {
  await origin.close();
});

describe('the bench origin', () => {
  it('serves the whole file with the SHA-256 it publishes, the same on every listener', async () => {
    expect(whole.length).toBe(SIZE);
    const digest = createHash('sha256').update(whole).digest('hex');
    expect(origin.sha256['/files/one.safetensors']).toBe(digest);
    const throttled = await get(`${origin.throttledUrl}/files/one.safetensors`, {
      range: 'bytes=0-99999',
    });
    expect(throttled.body.equals(whole.subarray(0, 100_000))).toBe(true);
  });

  it('answers ranges with exactly those bytes, across the pattern wrap', async () => {
    const start = PATTERN_BYTES - 1000;
    const response = await get(`${origin.plainUrl}/files/one.safetensors`, {
      range: `bytes=${start}-${start + 4999}`,
    });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes ${start}-${start + 4999}/${SIZE}`);
    expect(response.body.equals(whole.subarray(start, start + 5000))).toBe(true);
    const open = await get(`${origin.plainUrl}/files/one.safetensors`, {
      range: `bytes=${SIZE - 10}-`,
    });
    expect(open.body.equals(whole.subarray(SIZE - 10))).toBe(true);
    const suffix = await get(`${origin.plainUrl}/files/one.safetensors`, { range: 'bytes=-7' });
    expect(suffix.body.equals(whole.subarray(SIZE - 7))).toBe(true);
  });

  it('sends the whole file for a stale If-Range and 416 past the end', async () => {
    const stale = await get(`${origin.plainUrl}/files/one.safetensors`, {
      range: 'bytes=10-20',
      'if-range': '"other"',
    });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(SIZE);
    const etag = stale.headers.get('etag')!;
    const fresh = await get(`${origin.plainUrl}/files/one.safetensors`, {
      range: 'bytes=10-20',
      'if-range': etag,
    });
    expect(fresh.status).toBe(206);
    const beyond = await get(`${origin.plainUrl}/files/one.safetensors`, {
      range: `bytes=${SIZE}-`,
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${SIZE}`);
  });

  it('serves files that pass modeldock’s safetensors check', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'bench-origin-'));
    try {
      const file = path.join(directory, 'one.safetensors');
      await writeFile(file, whole);
      await expect(
        checkModelFormat(createNodeFileSystem(), file, 'one.safetensors', SIZE),
      ).resolves.toMatchObject({
        format: 'safetensors',
      });
      const check = await checkOutputs(directory, [
        { name: 'one.safetensors', sha256: origin.sha256['/files/one.safetensors']! },
      ]);
      expect(check).toEqual({ ok: true, problems: [] });
      const wrong = await checkOutputs(directory, [
        { name: 'one.safetensors', sha256: '0'.repeat(64) },
        { name: 'gone', sha256: '' },
      ]);
      expect(wrong.ok).toBe(false);
      expect(wrong.problems).toHaveLength(2);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('plays the Hugging Face endpoint for repositories: revision, tree with LFS hashes, resolve', async () => {
    const revision = await get(`${origin.hubUrl}/api/models/bench/repo/revision/main`);
    expect(JSON.parse(revision.body.toString())).toMatchObject({ sha: 'a'.repeat(40) });
    const tree = JSON.parse(
      (
        await get(`${origin.hubUrl}/api/models/bench/repo/tree/${'a'.repeat(40)}?recursive=true`)
      ).body.toString(),
    ) as Array<{
      path: string;
      size: number;
      lfs: { oid: string };
    }>;
    expect(tree.map((entry) => [entry.path, entry.size])).toEqual([
      ['a.safetensors', 4096],
      ['b.safetensors', 5000],
    ]);
    const file = await get(`${origin.hubUrl}/bench/repo/resolve/${'a'.repeat(40)}/b.safetensors`);
    expect(file.headers.get('x-repo-commit')).toBe('a'.repeat(40));
    expect(createHash('sha256').update(file.body).digest('hex')).toBe(tree[1]!.lfs.oid);
    expect((await get(`${origin.hubUrl}/nothing`)).status).toBe(404);
  });
});

describe('pattern content', () => {
  it('gives distinct files distinct bytes, and headers that describe the rest exactly', () => {
    const pattern = createPattern();
    const one = new PatternFile({ path: 'x', size: 10_000, seed: 1 }, pattern);
    const two = new PatternFile({ path: 'y', size: 10_000, seed: 2 }, pattern);
    expect(one.sha256()).not.toBe(two.sha256());
    const header = safetensorsHeader(10_000);
    const length = Number(header.readBigUInt64LE(0));
    expect(header.length).toBe(8 + length);
    expect(length % 8).toBe(0);
    const json = JSON.parse(header.subarray(8).toString('latin1')) as {
      data: { data_offsets: number[] };
    };
    expect(json.data.data_offsets).toEqual([0, 10_000 - 8 - length]);
    expect(() => safetensorsHeader(40)).toThrow(/too small/);
  });
});

describe('the connection pace', () => {
  it('lets a burst through, then holds each connection to its rate whatever the timers do', () => {
    let now = 0;
    const pace = new ConnectionPace(1000, 500, () => now);
    expect(pace.take(500)).toBe(0);
    // 300 more bytes need 0.3 s at 1000 B/s.
    expect(pace.take(300)).toBeCloseTo(300);
    // A late timer: 0.7 s of credit earned after the debt, but no more than the burst is kept.
    now = 1000;
    expect(pace.take(500)).toBe(0);
    expect(pace.take(400)).toBeCloseTo(400);
    // However the sends are spaced, the bytes sent never exceed burst + rate × elapsed.
    now = 10_000;
    let sentAfterIdle = 0;
    let clock = now;
    for (let index = 0; index < 100; index++) {
      clock += pace.take(100);
      now = clock;
      sentAfterIdle += 100;
    }
    expect(sentAfterIdle).toBeLessThanOrEqual(500 + ((clock - 10_000) / 1000) * 1000 + 100);
  });
});

describe('bench options and figures', () => {
  it('reads flags, and refuses unknown ones', () => {
    expect(parseBenchOptions([])).toMatchObject({
      quick: false,
      rounds: 3,
      scenarios: ['file-1g', 'throttled-16', 'small-files', 'file-4g-memory'],
    });
    expect(parseBenchOptions(['--quick'])).toMatchObject({
      rounds: 1,
      scenarios: ['file-1g', 'throttled-16', 'small-files'],
    });
    expect(
      parseBenchOptions(['--rounds=5', '--tool', 'curl,aria2c', '--scenario', 'small-files']),
    ).toMatchObject({
      rounds: 5,
      tools: ['curl', 'aria2c'],
      scenarios: ['small-files'],
    });
    expect(parseBenchOptions(['--help'])).toBe('help');
    expect(() => parseBenchOptions(['--rounds', '0'])).toThrow(/rounds/);
    expect(() => parseBenchOptions(['--tool', 'wget'])).toThrow(/wget/);
    expect(() => parseBenchOptions(['--fast'])).toThrow(/Unknown option/);
  });

  it('reports medians of the runs that passed their check, and the worst peak memory', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    const run = (wallSeconds: number, peakRssBytes: number, ok = true): RunRecord => ({
      scenario: 'file-1g',
      tool: 'curl',
      round: 1,
      ok,
      problems: ok ? [] : ['x has SHA-256 …'],
      wallSeconds,
      cpuSeconds: 1,
      peakRssBytes,
      originCpuSeconds: 0.5,
      originRequests: 1,
      originBodyBytes: 0,
      method: 'rusage',
    });
    const summary = summarise(
      'curl',
      [run(2, 10), run(1, 30), run(4, 20), run(0.1, 99, false)],
      1000 * MIB,
      null,
    );
    expect(summary.okRuns).toBe(3);
    expect(summary.wallSeconds).toBe(2);
    expect(summary.megabytesPerSecond).toBeCloseTo((1000 * MIB) / 1e6 / 2);
    expect(summary.peakRssBytes).toBe(30);
    expect(summary.note).toMatch(/1 failed/);
  });

  it('judges the targets against the peer measured in the same run', () => {
    const summary = (
      tool: 'curl' | 'modeldock-engine',
      values: { mbps?: number; wall?: number; rss?: number },
    ) => ({
      tool,
      runs: 1,
      okRuns: 1,
      wallSeconds: values.wall ?? null,
      megabytesPerSecond: values.mbps ?? null,
      cpuSecondsPerGib: null,
      peakRssBytes: values.rss ?? null,
      originCpuSecondsPerGib: null,
      originRequests: null,
      note: null,
    });
    const [throughput] = judgeTargets('file-1g', [
      summary('curl', { mbps: 500 }),
      summary('modeldock-engine', { mbps: 950 }),
    ]);
    expect(throughput).toMatchObject({ tool: 'modeldock-engine', met: true });
    const [slow] = judgeTargets('file-1g', [
      summary('curl', { mbps: 500 }),
      summary('modeldock-engine', { mbps: 850 }),
    ]);
    expect(slow!.met).toBe(false);
    const [throttled] = judgeTargets('throttled-16', [summary('modeldock-engine', { mbps: 300 })]);
    expect(throttled!.met).toBe(false);
    const [small] = judgeTargets('small-files', [
      summary('curl', { wall: 2 }),
      summary('modeldock-engine', { wall: 2.5 }),
    ]);
    expect(small!.met).toBe(true);
    const [memory] = judgeTargets('file-4g-memory', [
      summary('modeldock-engine', { rss: 129 * MIB }),
    ]);
    expect(memory!.met).toBe(false);
    const [unjudged] = judgeTargets('file-1g', [summary('modeldock-engine', { mbps: 900 })]);
    expect(unjudged!.met).toBeNull();
  });
});
