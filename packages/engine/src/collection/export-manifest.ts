/**
 * `library.export`: the manifest of every model on disk, page by page through the library store, with
 * each model's source as the importing machine will need it and, when asked, its metadata.
 */
import type { LibraryEntry, LibrarySource } from '../library/library-entry';
import type { LibraryRow } from '../library/library-store';
import { toLibraryEntry } from '../library/model-library';
import { MANIFEST_SCHEMA, MANIFEST_VERSION } from './manifest-schema';
import type {
  CollectionManifest,
  ManifestMetadata,
  ManifestModel,
  ManifestSource,
} from './manifest-schema';
import type { CollectionPorts } from './collection-ports';

const PAGE = 500;

function civitaiFileIdOf(url: string): number | null {
  try {
    const fileId = Number(new URL(url).searchParams.get('fileId'));
    return Number.isSafeInteger(fileId) && fileId > 0 ? fileId : null;
  } catch {
    return null;
  }
}

/** What the manifest says of a library source; a file found on disk with no known origin has none. */
export function manifestSourceOf(source: LibrarySource | null): ManifestSource | null {
  if (!source) return null;
  switch (source.kind) {
    case 'huggingface':
      return {
        kind: 'huggingface',
        repo: source.repo,
        revision: source.revision,
        path: source.path,
      };
    case 'civitai':
      if (source.versionId === null) return { kind: 'url', url: source.url };
      return {
        kind: 'civitai',
        modelId: source.modelId,
        versionId: source.versionId,
        fileId: civitaiFileIdOf(source.url),
        url: source.url,
      };
    case 'url':
      return { kind: 'url', url: source.url };
    default:
      return null;
  }
}

function metadataOf(entry: LibraryEntry): ManifestMetadata | null {
  const known = entry.metadata;
  if (!known) return null;
  return {
    name: known.name,
    versionName: known.versionName,
    type: known.type,
    baseModel: known.baseModel,
    trainedWords: known.trainedWords,
    tags: known.tags,
    description: known.description,
    creator: known.creator,
    nsfwLevel: known.nsfwLevel,
    sourceUrl: known.sourceUrl,
  };
}

/** Every present entry, in path order. */
export async function presentRows(ports: Pick<CollectionPorts, 'library'>): Promise<LibraryRow[]> {
  const rows: LibraryRow[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await ports.library.page(after, PAGE);
    // A store may answer fewer than asked before the end: only an empty page ends the walk.
    if (page.length === 0) return rows;
    rows.push(...page.filter((row) => row.status === 'present'));
    after = page[page.length - 1]!.relativePath;
  }
}

export async function exportManifest(
  ports: CollectionPorts,
  options: { includeMetadata?: boolean } = {},
): Promise<CollectionManifest> {
  const rows = await presentRows(ports);
  let described: LibraryEntry[] | null = null;
  if (options.includeMetadata && ports.describe) {
    described = [];
    for (let start = 0; start < rows.length; start += PAGE) {
      described.push(
        ...(await ports.describe(rows.slice(start, start + PAGE).map(toLibraryEntry))),
      );
    }
  }
  const models = rows.map((row, index): ManifestModel => {
    const model: ManifestModel = {
      path: row.relativePath,
      sizeBytes: row.sizeBytes,
      sha256: row.sha256,
      source: manifestSourceOf(row.source),
    };
    if (options.includeMetadata) model.metadata = described ? metadataOf(described[index]!) : null;
    return model;
  });
  return {
    schema: MANIFEST_SCHEMA,
    version: MANIFEST_VERSION,
    exportedAt: new Date(ports.clock.now()).toISOString(),
    generator: ports.generator ?? 'modeldock',
    models,
  };
}
