/**
 * Where each selected Hugging Face file lands under the models root.
 *
 * 'comfyui' (default): each file in the folder decided for it (placement/choose-folder.ts: the
 * user's folder, a `split_files/<folder>/` path, the file's header, then its path and name) as
 * `<folder>/<file name>`; a file nothing places keeps its bare name and `needsFolder` (enqueue
 * refuses it until a folder is given). The files of a diffusers layout stay together in
 * `<folder, default diffusers>/<repo name>/<path>`, as the Diffusers loader reads them.
 * 'hf-cache': `<folder, default huggingface/hub>/models--org--name/blobs/<etag>`; the snapshot links
 * are made after completion by hf-cache-layout.ts. A blob is downloaded once: another path with the
 * same content is planned at its own `snapshots/<commit>/<path>`, and the job links it to the blob
 * instead of downloading it (jobs/hf-cache-twins.ts; only when the Hub gave its SHA-256, i.e. LFS).
 */
import path from 'node:path';
import type { DestinationLayout } from '../../download-request';
import { ModeldockError } from '../../errors';
import { relativeDestination } from '../../paths/confine-path';
import { sanitizeFileName } from '../../paths/sanitize-file-name';
import { chosenFolder } from '../../placement/choose-folder';
import type { FolderDecision } from '../../placement/choose-folder';
import {
  DEFAULT_HF_CACHE_FOLDER,
  hfCacheBlobRelativePath,
  hfCacheSnapshotRelativePath,
} from './hf-cache-layout';
import type { HfRepoType } from './hf-input';

export interface HfSelectedFile {
  path: string;
  size: number | null;
  /** The cache blob name (ETag); null when the Hub gave none. */
  blob: string | null;
  sha256: string | null;
  /** Where the file goes in the ComfyUI layout (decided before placing). */
  decision?: FolderDecision;
  /** Part of a diffusers layout: kept with its repository's structure. */
  diffusersComponent?: boolean;
}

export type HfSelectionKind = 'file' | 'selection' | 'repository';

export interface HfDestinationOptions {
  layout: DestinationLayout;
  kind: HfSelectionKind;
  repoType: HfRepoType;
  repoId: string;
  /** The commit the files are pinned to (names the snapshot folder of the hf-cache layout). */
  commit: string;
  folder?: string;
  filename?: string;
}

export interface HfPlacedFile extends HfSelectedFile {
  relativePath: string;
}

function fileNameOf(repoPath: string): string {
  return repoPath.slice(repoPath.lastIndexOf('/') + 1);
}

function safeSegment(segment: string, repoPath: string): string {
  const safe = sanitizeFileName(segment);
  if (!safe)
    throw new ModeldockError('INVALID_INPUT', `"${repoPath}" cannot be stored under a safe name`);
  return safe;
}

function assertDistinct(placed: HfPlacedFile[]): void {
  const seen = new Map<string, string>();
  for (const file of placed) {
    const key = file.relativePath.toLowerCase();
    const other = seen.get(key);
    if (other !== undefined) {
      throw new ModeldockError(
        'AMBIGUOUS_INPUT',
        `"${other}" and "${file.path}" would both be saved as ${file.relativePath}: narrow the include patterns, or download the whole repository so its folders are kept`,
      );
    }
    seen.set(key, file.path);
  }
}

function placeForComfyUi(files: HfSelectedFile[], options: HfDestinationOptions): HfPlacedFile[] {
  const userFolder = chosenFolder(options.folder);
  const repoName = safeSegment(options.repoId.split('/')[1]!, options.repoId);
  const placed = files.map((file) => {
    if (file.diffusersComponent) {
      const segments = file.path.split('/').map((segment) => safeSegment(segment, file.path));
      return {
        ...file,
        relativePath: [
          file.decision?.basis === 'user' ? file.decision.folder : (userFolder ?? 'diffusers'),
          repoName,
          ...segments,
        ].join('/'),
      };
    }
    const name =
      options.kind === 'file' && options.filename
        ? options.filename
        : safeSegment(fileNameOf(file.path), file.path);
    return {
      ...file,
      relativePath: relativeDestination(file.decision?.folder ?? userFolder ?? '', name),
    };
  });
  assertDistinct(placed);
  return placed;
}

function placeForHfCache(files: HfSelectedFile[], options: HfDestinationOptions): HfPlacedFile[] {
  if (options.filename !== undefined) {
    throw new ModeldockError(
      'INVALID_INPUT',
      'A file name cannot be chosen with the Hugging Face cache layout: the cache names files itself',
    );
  }
  const cacheFolder = chosenFolder(options.folder) ?? DEFAULT_HF_CACHE_FOLDER;
  const placed: HfPlacedFile[] = [];
  const blobs = new Set<string>();
  for (const file of files) {
    if (!file.blob) {
      throw new ModeldockError(
        'HTTP_ERROR',
        `Hugging Face gave no ETag for "${file.path}", which the cache layout needs to name its blob`,
      );
    }
    if (blobs.has(file.blob)) {
      placed.push({
        ...file,
        relativePath: hfCacheSnapshotRelativePath(
          cacheFolder,
          options.repoType,
          options.repoId,
          options.commit,
          file.path,
        ),
      });
      continue;
    }
    blobs.add(file.blob);
    placed.push({
      ...file,
      relativePath: hfCacheBlobRelativePath(
        cacheFolder,
        options.repoType,
        options.repoId,
        file.blob,
      ),
    });
  }
  return placed;
}

export function placeHfFiles(
  files: HfSelectedFile[],
  options: HfDestinationOptions,
): HfPlacedFile[] {
  if (options.filename !== undefined && options.kind !== 'file') {
    throw new ModeldockError(
      'INVALID_INPUT',
      'A file name can only be given when downloading a single file',
    );
  }
  return options.layout === 'hf-cache'
    ? placeForHfCache(files, options)
    : placeForComfyUi(files, options);
}

/** The display name of a repository file: its base name. */
export function displayNameOf(repoPath: string): string {
  return sanitizeFileName(path.posix.basename(repoPath)) ?? repoPath;
}
