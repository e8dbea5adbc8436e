/**
 * The model library's public shapes: one `LibraryEntry` per model file modeldock knows (on disk now,
 * or seen before and gone: "missing"), with where it came from. The metadata issue adds fields
 * (`metadata`, `preview`, `update`) beside these; nothing here assumes they are absent.
 */
import path from 'node:path';
import type { Completeness } from '../metadata/metadata-model';
import type { UpdateStatusKind } from '../metadata/updates/update-status';

export const LIBRARY_FORMATS = ['safetensors', 'gguf', 'pickle', 'other'] as const;
export type LibraryFormat = (typeof LIBRARY_FORMATS)[number];

export const LIBRARY_STATUSES = ['present', 'missing'] as const;
export type LibraryEntryStatus = (typeof LIBRARY_STATUSES)[number];

export const LIBRARY_SOURCE_KINDS = ['huggingface', 'civitai', 'url', 'disk'] as const;
export type LibrarySourceKind = (typeof LIBRARY_SOURCE_KINDS)[number];

/** Where a file came from: enough to fetch exactly the same bytes again. */
export type LibrarySource =
  | {
      kind: 'huggingface';
      /** org/name (datasets and spaces keep their prefix: "datasets/org/name"). */
      repo: string;
      /** The commit the file was pinned to, or null when unknown (found in a cache without one). */
      revision: string | null;
      /** Path inside the repository. */
      path: string;
      /** The resolve URL at that commit, when modeldock downloaded it. */
      url: string | null;
    }
  | { kind: 'civitai'; modelId: number | null; versionId: number | null; url: string }
  | { kind: 'url'; url: string }
  | { kind: 'disk' };

/** Why a file is listed without a hash: it could not be read. */
export interface LibraryEntryError {
  code: string;
  message: string;
}

/** What the metadata domain knows about an entry's model (null until it has been described). */
export interface LibraryEntryMetadata {
  name: string | null;
  versionName: string | null;
  type: string | null;
  baseModel: string | null;
  trainedWords: string[];
  tags: string[];
  /** Sanitised HTML: safe to render as markup. */
  description: string | null;
  creator: string | null;
  nsfwLevel: number | null;
  sourceUrl: string | null;
  completeness: Completeness;
  missing: string[];
  /** ISO time. */
  updatedAt: string;
}

export interface LibraryEntryUpdate {
  status: UpdateStatusKind;
  latest: { id: string; name: string; publishedAt: string | null } | null;
  /** ISO time. */
  checkedAt: string;
}

/** Filters on what the metadata domain knows. */
export const LIBRARY_FLAGS = ['update_available', 'incomplete', 'no_preview'] as const;
export type LibraryFlag = (typeof LIBRARY_FLAGS)[number];

export interface LibraryEntry {
  id: string;
  /** Relative to the models root, POSIX separators. */
  relativePath: string;
  /** First folder under the models root (the model type: checkpoints, loras, …); '' at the root. */
  folder: string;
  /** The file name, or "org/name: path" for a Hugging Face cache snapshot file. */
  name: string;
  sizeBytes: number;
  sha256: string | null;
  format: LibraryFormat;
  status: LibraryEntryStatus;
  source: LibrarySource | null;
  /** The download job that wrote it, when modeldock did. */
  jobId: string | null;
  /** Set when the file could not be read (it is still listed). */
  error: LibraryEntryError | null;
  /** ISO times. */
  addedAt: string;
  updatedAt: string;
  metadata: LibraryEntryMetadata | null;
  /** A thumbnail URL the server serves (a placeholder when the model has no usable image). */
  preview: { url: string } | null;
  update: LibraryEntryUpdate | null;
  /** Sidecars seen or written beside the model (relative paths: .civitai.info, .metadata.json, preview). */
  sidecars: string[];
}

const FORMAT_BY_EXTENSION: Record<string, LibraryFormat> = {
  '.safetensors': 'safetensors',
  '.sft': 'safetensors',
  '.gguf': 'gguf',
  '.ckpt': 'pickle',
  '.pt': 'pickle',
  '.pth': 'pickle',
  '.bin': 'pickle',
  '.pkl': 'pickle',
  '.pt2': 'pickle',
};

export function formatOfPath(relativePath: string): LibraryFormat {
  return FORMAT_BY_EXTENSION[path.posix.extname(relativePath).toLowerCase()] ?? 'other';
}

/** A file inside a Hugging Face cache snapshot: `…/models--org--name/snapshots/<commit>/<path>`. */
export interface HfCachePath {
  /** The cache folder, relative to the models root ('' when the root is the cache). */
  cacheFolder: string;
  /** 'models--org--name'. */
  repoFolder: string;
  repo: string;
  commit: string;
  /** Path inside the repository. */
  path: string;
}

const REPO_FOLDER = /^(models|datasets|spaces)--(.+)$/;

export function parseHfCachePath(relativePath: string): HfCachePath | null {
  const parts = relativePath.split('/');
  for (let i = 0; i + 3 < parts.length; i++) {
    const match = REPO_FOLDER.exec(parts[i]!);
    if (!match || parts[i + 1] !== 'snapshots') continue;
    const name = match[2]!.split('--').join('/');
    return {
      cacheFolder: parts.slice(0, i).join('/'),
      repoFolder: parts[i]!,
      repo: match[1] === 'models' ? name : `${match[1]}/${name}`,
      commit: parts[i + 2]!,
      path: parts.slice(i + 3).join('/'),
    };
  }
  return null;
}

const CACHE_BLOB = /(^|\/)(models|datasets|spaces)--[^/]+\/blobs\/[^/]+$/;

/** `…/models--org--name/blobs/<etag>`: the bytes behind a cache's snapshot links. */
export function isHfCacheBlobPath(relativePath: string): boolean {
  return CACHE_BLOB.test(relativePath);
}

export interface LibraryPathFacts {
  folder: string;
  name: string;
  format: LibraryFormat;
  /** False for a cache blob: it is listed through its snapshot files. */
  listed: boolean;
}

/** What a path alone says about an entry: its folder, display name and format. */
export function libraryPathFacts(relativePath: string): LibraryPathFacts {
  const slash = relativePath.indexOf('/');
  const folder = slash === -1 ? '' : relativePath.slice(0, slash);
  const cache = parseHfCachePath(relativePath);
  const name = cache ? `${cache.repo}: ${cache.path}` : path.posix.basename(relativePath);
  return { folder, name, format: formatOfPath(relativePath), listed: !isHfCacheBlobPath(relativePath) };
}
