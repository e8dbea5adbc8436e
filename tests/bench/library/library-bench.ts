/**
 * The library issue's targets, each beside a peer measured in the same run:
 * - first index (a few large files and thousands of small ones): hashing throughput ≥ 0.9 × `openssl
 *   dgst -sha256` run with the same parallelism (2) over the same files;
 * - rescan of 10,000 unchanged files ≤ 2 s and ≤ 3 × a plain `find -printf '%s %T@'` walk;
 * - `library.list` pages of 50 over 10,000 entries: p99 ≤ 50 ms (in process, on PGlite);
 * - peak memory while indexing those 10,000 files ≤ idle + 64 MiB (this process: the engine's scan
 *   and the embedded database, as in the server; `VmHWM` reset before, sampled RSS as a fallback).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openDatabase } from '@modeldock/db';
import { createModelLibrary, createNodeFileSystem, createRefreshTasks, createSystemClock, scanLibrary } from '@modeldock/engine';

const run = promisify(execFile);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work();
  return [value, (performance.now() - start) / 1000];
}

async function writeTree(root: string, files: Array<[string, number]>): Promise<void> {
  for (const [relativePath, size] of files) {
    await mkdir(path.dirname(path.join(root, relativePath)), { recursive: true });
    await writeFile(path.join(root, relativePath), Buffer.alloc(size, relativePath.length % 251));
  }
}

const MIB = 1024 * 1024;

/** Peak resident memory of this process while `work` runs, and what it was just before. */
async function memoryDuring(work: () => Promise<unknown>): Promise<{ idleBytes: number; peakBytes: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  // Resets VmHWM to the current RSS (Linux); without it the sampled RSS alone is the peak.
  const reset = await writeFile('/proc/self/clear_refs', '5').then(() => true, () => false);
  const idleBytes = process.memoryUsage.rss();
  let sampled = idleBytes;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage.rss());
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  let highWater = 0;
  if (reset) {
    const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
    highWater = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
  }
  return { idleBytes, peakBytes: Math.max(sampled, highWater) };
}

export interface LibraryBenchResult {
  lines: string[];
  met: boolean;
}

export async function runLibraryBench(quick = false): Promise<LibraryBenchResult> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-library-bench-'));
  const fs = createNodeFileSystem();
  const db = await openDatabase({ dataDir: path.join(root, 'data') });
  const lines: string[] = [];
  let met = true;
  try {
    // 1. First index: hashing throughput against openssl at parallelism 2.
    const hashRoot = path.join(root, 'hash');
    const large = quick ? 2 : 4;
    const small = quick ? 500 : 2_000;
    const files: Array<[string, number]> = [];
    for (let n = 0; n < large; n++) files.push([`checkpoints/large-${n}.safetensors`, 64 * 1024 * 1024]);
    for (let n = 0; n < small; n++) files.push([`loras/${Math.floor(n / 200)}/small-${n}.safetensors`, 64 * 1024]);
    await writeTree(hashRoot, files);
    const bytes = files.reduce((sum, [, size]) => sum + size, 0);
    // The list goes in a file: thousands of paths in one environment variable pass the kernel's
    // 128 KiB limit for a single argument or variable (spawn E2BIG).
    const listFile = path.join(root, 'hash-list.txt');
    await writeFile(listFile, files.map(([relativePath]) => path.join(hashRoot, relativePath)).join('\n'));
    const [, opensslSeconds] = await timed(() =>
      run('sh', ['-c', `xargs -a "$LIST_FILE" -d '\\n' -P 2 -n 64 openssl dgst -sha256 > /dev/null`], {
        env: { ...process.env, LIST_FILE: listFile },
        maxBuffer: 1 << 26,
      }),
    );
    const scanContext = { fs, store: db.library, logger: silent, modelsRoot: hashRoot, now: () => new Date() };
    const [report, scanSeconds] = await timed(() => scanLibrary(scanContext, { concurrency: 2 }));
    const hashRatio = opensslSeconds / scanSeconds;
    const hashMet = hashRatio >= 0.9 && report.hashed === files.length;
    met &&= hashMet;
    lines.push(
      `library first index: ${files.length} files, ${(bytes / 1e6).toFixed(0)} MB in ${scanSeconds.toFixed(2)} s` +
        ` (${(bytes / 1e6 / scanSeconds).toFixed(0)} MB/s); openssl -P2 ${opensslSeconds.toFixed(2)} s;` +
        ` throughput ratio ${hashRatio.toFixed(2)} (target ≥ 0.90) ${hashMet ? 'MET' : 'NOT MET'}`,
    );

    // 2. Rescan of 10,000 unchanged files against find.
    const manyRoot = path.join(root, 'many');
    const count = quick ? 2_000 : 10_000;
    await writeTree(
      manyRoot,
      Array.from({ length: count }, (_, n): [string, number] => [`loras/${Math.floor(n / 500)}/odd name ☆ ${n}.safetensors`, 16]),
    );
    const manyContext = { ...scanContext, modelsRoot: manyRoot };
    const memory = await memoryDuring(() => scanLibrary(manyContext));
    const growthMiB = (memory.peakBytes - memory.idleBytes) / MIB;
    const memoryMet = growthMiB <= 64;
    met &&= memoryMet;
    lines.push(
      `library first index of ${count} files: peak ${(memory.peakBytes / MIB).toFixed(0)} MiB, idle before ${(memory.idleBytes / MIB).toFixed(0)} MiB,` +
        ` growth ${growthMiB.toFixed(1)} MiB (target ≤ 64 MiB; engine + embedded database in this process) ${memoryMet ? 'MET' : 'NOT MET'}`,
    );
    const [, findSeconds] = await timed(() => run('find', [manyRoot, '-type', 'f', '-printf', '%s %T@\\n'], { maxBuffer: 1 << 26 }));
    const [rescan, rescanSeconds] = await timed(() => scanLibrary(manyContext));
    const rescanMet = rescanSeconds <= 2 && rescanSeconds <= 3 * findSeconds && rescan.unchanged >= count;
    met &&= rescanMet;
    lines.push(
      `library rescan of ${count} unchanged files: ${rescanSeconds.toFixed(2)} s; find ${findSeconds.toFixed(2)} s;` +
        ` ratio ${(rescanSeconds / findSeconds).toFixed(2)} (targets ≤ 2 s, ≤ 3×) ${rescanMet ? 'MET' : 'NOT MET'}`,
    );

    // 3. library.list pages of 50 over those entries.
    const tasks = createRefreshTasks({ store: db.refreshTasks, clock: createSystemClock(), logger: silent, workerId: 'bench' });
    const library = createModelLibrary({
      store: db.library,
      tasks,
      jobs: { listActiveJobs: async () => [], listJobs: async () => ({ items: [], nextCursor: null }) },
      enqueue: async () => {
        throw new Error('not in the bench');
      },
      isDownloading: () => false,
      fs,
      clock: createSystemClock(),
      logger: silent,
      modelsRoot: manyRoot,
      dataDir: root,
    });
    const samples: number[] = [];
    for (const sort of ['name', 'size', 'added'] as const) {
      let cursor: string | null = null;
      for (let page = 0; page < 40; page++) {
        const [result, seconds] = await timed(() => library.list({ sort, limit: 50, cursor }));
        samples.push(seconds * 1000);
        cursor = result.nextCursor;
      }
    }
    samples.sort((a, b) => a - b);
    const p99 = samples[Math.floor(samples.length * 0.99)]!;
    const listMet = p99 <= 50;
    met &&= listMet;
    lines.push(`library.list pages of 50 over ${count + files.length} entries: p99 ${p99.toFixed(1)} ms (target ≤ 50 ms) ${listMet ? 'MET' : 'NOT MET'}`);
  } finally {
    await db.close();
    await rm(root, { recursive: true, force: true });
  }
  return { lines, met };
}

if (process.argv[1]?.endsWith('library-bench.ts')) {
  const result = await runLibraryBench(process.argv.includes('--quick'));
  console.log(result.lines.join('\n'));
}
