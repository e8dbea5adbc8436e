/**
 * The scenarios of the issue ("Speed, measured"): one large file to disk with SHA-256 verified; the
 * same over the throttled origin with 16 connections; 1000 × 1 MiB files as one job; and a 4 GiB
 * file whose point is peak memory. `--quick` shrinks them.
 */
import type { ContentSpec } from './origin/pattern-content';
import type { OriginCatalog, RepoSpec } from './origin/origin-catalog';

export const SCENARIO_IDS = ['file-1g', 'throttled-16', 'small-files', 'file-4g-memory'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
/** Throughput is in MB/s (10^6 bytes per second), as download tools print it. */
export const MB = 1_000_000;

/** Per-connection limit of the throttled origin. */
export const THROTTLE_BYTES_PER_SECOND = 20 * MB;
export const THROTTLED_CONNECTIONS = 16;

export type ScenarioShape =
  { kind: 'file'; file: ContentSpec } | { kind: 'repository'; repo: RepoSpec };

export interface Scenario {
  id: ScenarioId;
  title: string;
  origin: 'plain' | 'throttled';
  shape: ScenarioShape;
  totalBytes: number;
  fileCount: number;
  /** Connections per file for the tools that split files (modeldock, aria2c); null = the tool's default. */
  connections: number | null;
  /**
   * A small download of the same kind that modeldock makes before it is measured: a running service
   * is warm (code loaded and compiled), and the bench measures downloads, not process start-up.
   */
  warmup: ScenarioShape;
}

function singleFile(path: string, size: number, seed: number): ScenarioShape {
  return { kind: 'file', file: { path, size, seed } };
}

const SMALL_FILES_REPO_ID = 'bench/many-small-files';
const SMALL_FILES_COMMIT = 'b3c1d2e4f5a60718293a4b5c6d7e8f9011223344';
const WARMUP_FILE = singleFile('warmup.safetensors', 2 * MIB, 9);
const WARMUP_REPO: ScenarioShape = {
  kind: 'repository',
  repo: {
    id: 'bench/warmup',
    commit: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
    files: Array.from({ length: 4 }, (_, index) => ({
      path: `warmup-${index + 1}.safetensors`,
      size: 256 * 1024,
      seed: 90 + index,
    })),
  },
};

function smallFilesRepo(count: number, size: number): ScenarioShape {
  const files = Array.from({ length: count }, (_, index) => ({
    path: `shard-${String(index + 1).padStart(4, '0')}.safetensors`,
    size,
    seed: 1000 + index,
  }));
  return {
    kind: 'repository',
    repo: { id: SMALL_FILES_REPO_ID, commit: SMALL_FILES_COMMIT, files },
  };
}

function describe(id: ScenarioId, quick: boolean): Scenario {
  const largeBytes = quick ? 256 * MIB : GIB;
  const largeLabel = quick ? '256 MiB' : '1 GiB';
  const smallCount = quick ? 200 : 1000;
  switch (id) {
    case 'file-1g':
      return {
        id,
        title: `One ${largeLabel} file, SHA-256 verified (plain origin)`,
        origin: 'plain',
        shape: singleFile(`model-${quick ? '256m' : '1g'}.safetensors`, largeBytes, 1),
        totalBytes: largeBytes,
        fileCount: 1,
        connections: null,
        warmup: WARMUP_FILE,
      };
    case 'throttled-16':
      return {
        id,
        title: `One ${largeLabel} file over ${THROTTLED_CONNECTIONS} connections, origin limited to ${THROTTLE_BYTES_PER_SECOND / MB} MB/s per connection`,
        origin: 'throttled',
        shape: singleFile(`throttled-${quick ? '256m' : '1g'}.safetensors`, largeBytes, 2),
        totalBytes: largeBytes,
        fileCount: 1,
        connections: THROTTLED_CONNECTIONS,
        warmup: WARMUP_FILE,
      };
    case 'small-files':
      return {
        id,
        title: `${smallCount} × 1 MiB files as one job`,
        origin: 'plain',
        shape: smallFilesRepo(smallCount, MIB),
        totalBytes: smallCount * MIB,
        fileCount: smallCount,
        connections: null,
        warmup: WARMUP_REPO,
      };
    case 'file-4g-memory':
      return {
        id,
        title: 'One 4 GiB file: peak memory',
        origin: 'plain',
        shape: singleFile('model-4g.safetensors', 4 * GIB, 4),
        totalBytes: 4 * GIB,
        fileCount: 1,
        connections: null,
        warmup: WARMUP_FILE,
      };
  }
}

export function scenariosFor(ids: readonly ScenarioId[], quick: boolean): Scenario[] {
  return ids.map((id) => describe(id, quick));
}

/** One origin catalog serving every scenario of the run. */
export function originCatalogFor(scenarios: readonly Scenario[]): OriginCatalog {
  const catalog: OriginCatalog = {
    files: [],
    repos: [],
    throttleBytesPerSecond: THROTTLE_BYTES_PER_SECOND,
  };
  const added = new Set<string>();
  for (const shape of scenarios.flatMap((scenario) => [scenario.shape, scenario.warmup])) {
    const key = shape.kind === 'file' ? `file:${shape.file.path}` : `repo:${shape.repo.id}`;
    if (added.has(key)) continue;
    added.add(key);
    if (shape.kind === 'file') catalog.files.push(shape.file);
    else catalog.repos.push(shape.repo);
  }
  return catalog;
}
