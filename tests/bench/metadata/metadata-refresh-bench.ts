/**
 * Metadata refresh of 1,000 models against the fake Civitai, which allows `HUB_RATE` requests per
 * second (429 beyond, as Civitai does). Targets of the metadata issue:
 * - at most 15 lookup requests by SHA-256 (batching: 100 hashes per POST);
 * - wall time at most 1.5 × what the hub's rate limit allows for the requests made
 *   ((requests − 1) / rate seconds: the first request needs no wait).
 * The models are files on disk "from other tools": no sidecars, metadata only (no previews). With
 * `store: 'pglite'` the results go where the server keeps them: library entries and their metadata
 * in an embedded database (the wired path of a "Fix all"), so the store's cost is in the time. The
 * client paces itself 5 % under the limit, as a client should: at exactly the limit, timer jitter
 * puts a fifth request inside some one-second window and costs a 429 and a back-off.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createMemoryMetadataStore,
  createMetadataHubs,
  createNodeFileSystem,
  createSystemClock,
  createUndiciHttpClient,
  DEFAULT_ENGINE_CONFIG,
  refreshMetadata,
} from '@modeldock/engine';
import type { MetadataTarget, ModelMetadataStore } from '@modeldock/engine';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { startFakeCivitai } from '../../support/fake-civitai';

export const METADATA_MODELS = 1_000;
export const HUB_RATE = 4;
export const MAX_LOOKUP_REQUESTS = 15;
export const MAX_TIME_VS_RATE_LIMIT = 1.5;

export interface MetadataBenchResult {
  models: number;
  lookupRequests: number;
  allRequests: number;
  wallSeconds: number;
  rateLimitSeconds: number;
  complete: number;
  lines: string[];
  met: boolean;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export async function runMetadataBench(models = METADATA_MODELS, storeKind: 'memory' | 'pglite' = 'memory'): Promise<MetadataBenchResult> {
  const civitai = await startFakeCivitai();
  const root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-metadata-bench-'));
  const http = createUndiciHttpClient({ ...DEFAULT_ENGINE_CONFIG, allowPrivateHosts: true });
  let database: ModeldockDatabase | null = null;
  try {
    await mkdir(path.join(root, 'loras'));
    const targets: MetadataTarget[] = [];
    for (let id = 1; id <= models; id++) {
      const content = `bench lora ${id}`;
      civitai.addModel({
        id,
        name: `Bench Lora ${id}`,
        type: 'LORA',
        description: `<p>Lora number ${id}</p>`,
        tags: ['bench'],
        creator: 'bench',
        versions: [{ id: id * 10, name: 'v1', baseModel: 'SDXL 1.0', trainedWords: [`word${id}`], files: [{ id: id * 100, name: `lora_${id}.safetensors`, content }] }],
      });
      const relativePath = `loras/lora_${id}.safetensors`;
      await writeFile(path.join(root, relativePath), content);
      targets.push({ id: `entry-${id}`, relativePath, sizeBytes: content.length, sha256: createHash('sha256').update(content).digest('hex'), source: { kind: 'disk' } });
    }
    const memory = createMemoryMetadataStore();
    let store: ModelMetadataStore = memory;
    if (storeKind === 'pglite') {
      database = await openDatabase({ dataDir: path.join(root, '.data') });
      const now = new Date();
      await database.library.upsertScanned(targets.map((target) => ({ relativePath: target.relativePath, sizeBytes: target.sizeBytes, mtimeMs: 0, inode: null, sha256: target.sha256, error: null, source: null })), now);
      const ids = new Map((await database.library.page(null, models + 10)).map((row) => [row.relativePath, row.id]));
      for (const target of targets) target.id = ids.get(target.relativePath)!;
      store = database.metadata;
    }
    civitai.requests.length = 0;
    civitai.setRateLimit(HUB_RATE);
    const clock = createSystemClock();
    const hubs = createMetadataHubs({ http, clock, logger: silent, credentials: async () => null, civitaiEndpoint: civitai.url, requestsPerSecond: HUB_RATE * 0.95 });
    const started = performance.now();
    await refreshMetadata(
      {
        fs: createNodeFileSystem(),
        http,
        clock,
        logger: silent,
        hubs,
        store,
        modelsRoot: root,
        thumbnailsDir: path.join(root, '.thumbnails'),
        maxRedirects: 5,
        settings: async () => ({ writeSidecars: process.env.BENCH_SIDECARS === '1', writeA1111: false, maxNsfwLevel: 2 }),
      },
      targets,
      { kind: 'metadata' },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const lookupRequests = civitai.requests.filter((request) => request.url.startsWith('/api/v1/model-versions/by-hash')).length;
    const allRequests = civitai.requests.length;
    const rateLimitSeconds = Math.max(allRequests - 1, 1) / HUB_RATE;
    const stored = storeKind === 'pglite' ? [...(await store.get(targets.map((target) => target.id))).values()] : memory.all();
    const complete = stored.filter((row) => row.metadata?.completeness === 'complete').length;
    const lookupsMet = lookupRequests <= MAX_LOOKUP_REQUESTS;
    const timeMet = wallSeconds <= MAX_TIME_VS_RATE_LIMIT * rateLimitSeconds;
    const lines = [
      `\nMetadata refresh of ${models} models (fake Civitai allowing ${HUB_RATE} requests/s; results in ${storeKind === 'pglite' ? 'the embedded database' : 'memory'})`,
      `  lookup requests by SHA-256: ${lookupRequests} (target ≤ ${MAX_LOOKUP_REQUESTS}) ${lookupsMet ? 'met' : 'NOT met'}`,
      `  all requests: ${allRequests} (${allRequests - lookupRequests} model listings)`,
      `  wall time: ${wallSeconds.toFixed(2)} s; the rate limit allows ${rateLimitSeconds.toFixed(2)} s; ratio ${(wallSeconds / rateLimitSeconds).toFixed(2)} (target ≤ ${MAX_TIME_VS_RATE_LIMIT}) ${timeMet ? 'met' : 'NOT met'}`,
      `  models with complete metadata: ${complete} of ${models}`,
    ];
    return { models, lookupRequests, allRequests, wallSeconds, rateLimitSeconds, complete, lines, met: lookupsMet && timeMet && complete === models };
  } finally {
    await database?.close();
    await http.close();
    await civitai.close();
    await rm(root, { recursive: true, force: true });
  }
}

// Run on its own: `node --import tsx bench/metadata/metadata-refresh-bench.ts [models] [memory|pglite]`.
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  runMetadataBench(Number(process.argv[2] ?? METADATA_MODELS), process.argv[3] === 'pglite' ? 'pglite' : 'memory').then(
    (result) => {
      process.stdout.write(`${result.lines.join('\n')}\n`);
      process.exit(result.met ? 0 : 1);
    },
    (error: unknown) => {
      process.stderr.write(`metadata bench failed: ${(error as Error).stack}\n`);
      process.exit(1);
    },
  );
}
