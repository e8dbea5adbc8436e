/**
 * `library.import`: what of a manifest is already here (at its path with its hash, or with its hash
 * elsewhere), what is missing and where each missing file would come from (its access checked by
 * resolving it, nothing downloaded), and what has no source (only the old machine had it).
 */
import type { BundleItem } from '../jobs/download-manager-api';
import type { LibraryRow } from '../library/library-store';
import { parseHfCachePath } from '../library/library-entry';
import { toModeldockError } from '../errors';
import { itemRequest } from '../sources/bundle/bundle-resolver';
import { runWithConcurrency } from '../run-with-concurrency';
import type { CollectionPorts } from './collection-ports';
import { presentRows } from './export-manifest';
import type { CollectionManifest, ManifestModel, ManifestSource } from './manifest-schema';

export interface ImportPresent {
  path: string;
  sha256: string | null;
  /** Where it is: the manifest's path, or another path holding the same bytes. */
  foundAt: string;
}

export interface ImportMissing {
  path: string;
  sizeBytes: number;
  sha256: string | null;
  source: ManifestSource;
  /** What would be downloaded, as a user could paste it (hf://org/name@commit/path, a Civitai or direct link). */
  from: string;
  /** 'denied' when the source refuses it now (problem says why); such files are left out of the job. */
  access: 'ok' | 'unknown' | 'denied';
  problem: { code: string; message: string } | null;
}

export interface ImportUnresolved {
  path: string;
  sizeBytes: number;
  sha256: string | null;
  reason: string;
}

export interface ImportPlan {
  present: ImportPresent[];
  missing: ImportMissing[];
  unresolved: ImportUnresolved[];
}

const ACCESS_CHECKS_AT_ONCE = 4;

/** The input a resolver takes for a manifest source. */
export function inputOfSource(source: ManifestSource): string {
  switch (source.kind) {
    case 'huggingface': {
      const revision = source.revision ?? 'main';
      const encoded =
        revision.includes('/') || revision.includes('@') ? encodeURIComponent(revision) : revision;
      return `hf://${source.repo}@${encoded}/${source.path}`;
    }
    case 'civitai':
      // A download link keeps the file filters it was fetched with; the compact form names the version.
      return source.fileId === null && source.url
        ? source.url
        : `civitai:version/${source.versionId}`;
    case 'url':
      return source.url;
  }
}

/** The bundle item that brings a manifest model back to its manifest path. */
export function bundleItemOf(model: ManifestModel, source: ManifestSource): BundleItem {
  const base = { input: inputOfSource(source), ...(model.sha256 ? { sha256: model.sha256 } : {}) };
  const cache = parseHfCachePath(model.path);
  if (cache && source.kind === 'huggingface')
    return { ...base, folder: cache.cacheFolder, layout: 'hf-cache' };
  const slash = model.path.lastIndexOf('/');
  return {
    ...base,
    folder: slash === -1 ? '' : model.path.slice(0, slash),
    filename: model.path.slice(slash + 1),
    ...(source.kind === 'civitai' && source.fileId !== null
      ? { civitaiFile: { fileId: source.fileId } }
      : {}),
  };
}

function findPresent(
  model: ManifestModel,
  byPath: Map<string, LibraryRow>,
  byHash: Map<string, LibraryRow>,
): ImportPresent | null {
  const atPath = byPath.get(model.path);
  if (
    atPath &&
    (model.sha256 ? atPath.sha256 === model.sha256 : atPath.sizeBytes === model.sizeBytes)
  ) {
    return { path: model.path, sha256: model.sha256, foundAt: model.path };
  }
  const elsewhere = model.sha256 ? byHash.get(model.sha256) : undefined;
  return elsewhere
    ? { path: model.path, sha256: model.sha256, foundAt: elsewhere.relativePath }
    : null;
}

export async function planImport(
  ports: CollectionPorts,
  manifest: CollectionManifest,
): Promise<{ plan: ImportPlan; items: Map<string, BundleItem> }> {
  const rows = await presentRows(ports);
  const byPath = new Map(rows.map((row) => [row.relativePath, row]));
  const byHash = new Map<string, LibraryRow>();
  for (const row of rows) if (row.sha256 && !byHash.has(row.sha256)) byHash.set(row.sha256, row);

  const plan: ImportPlan = { present: [], missing: [], unresolved: [] };
  const items = new Map<string, BundleItem>();
  const toCheck: Array<{ model: ManifestModel; source: ManifestSource }> = [];
  for (const model of manifest.models) {
    const present = findPresent(model, byPath, byHash);
    if (present) plan.present.push(present);
    else if (!model.source) {
      plan.unresolved.push({
        path: model.path,
        sizeBytes: model.sizeBytes,
        sha256: model.sha256,
        reason:
          'No source is known: the file was put on the old machine by hand. Copy it over yourself.',
      });
    } else toCheck.push({ model, source: model.source });
  }

  const checked: ImportMissing[] = new Array(toCheck.length);
  await runWithConcurrency(
    toCheck.map((entry, index) => ({ ...entry, index })),
    ACCESS_CHECKS_AT_ONCE,
    async ({ model, source, index }) => {
      const item = bundleItemOf(model, source);
      const missing: ImportMissing = {
        path: model.path,
        sizeBytes: model.sizeBytes,
        sha256: model.sha256,
        source,
        from: item.input,
        access: 'unknown',
        problem: null,
      };
      const occupant = byPath.get(model.path);
      if (occupant) {
        missing.access = 'denied';
        missing.problem = {
          code: 'DESTINATION_EXISTS',
          message: `Another file (${occupant.sha256 ? `SHA-256 ${occupant.sha256.slice(0, 12)}…` : `${occupant.sizeBytes} bytes`}) is at "${model.path}": move it away to import this one`,
        };
        checked[index] = missing;
        return;
      }
      try {
        const preview = await ports.preview(itemRequest(item));
        const file = preview.files[0];
        missing.access = preview.accessProblem ? 'denied' : (file?.access ?? 'unknown');
        if (preview.accessProblem)
          missing.problem = {
            code: preview.accessProblem.code,
            message: preview.accessProblem.message,
          };
      } catch (error) {
        const value = toModeldockError(error);
        // A hub that could not be reached now may answer when the job runs: try it.
        missing.access = value.retryable ? 'unknown' : 'denied';
        missing.problem = { code: value.code, message: value.message };
      }
      if (missing.access !== 'denied') items.set(model.path, item);
      checked[index] = missing;
    },
    () => false,
  );
  plan.missing = checked;
  return { plan, items };
}
