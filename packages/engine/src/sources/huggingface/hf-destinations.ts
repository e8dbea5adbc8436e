/**
 * Where each selected Hugging Face file lands under the models root.
 *
 * 'comfyui' (default):
 * - one file, or files picked by patterns or a folder: `<folder>/<file name>`, the folder being what
 *   the user chose, else the ComfyUI folder guessed from the path and name (vae/ for ae.safetensors,
 *   diffusion_models/ for a GGUF, …);
 * - a whole repository: kept together with its structure in `<folder>/<repo name>/<path>`, the
 *   folder defaulting to diffusers/ for a diffusers repository (model_index.json), else the folder
 *   of its largest weight file.
 * 'hf-cache': `<folder, default huggingface/hub>/models--org--name/blobs/<etag>`; the snapshot links
 * are made after completion by hf-cache-layout.ts. A blob is downloaded once: another path with the
 * same content is downloaded straight to its own `snapshots/<commit>/<path>`, because the link step
 * only knows the path of the file that wrote the blob.
 */
import path from 'node:path';
import type { DestinationLayout } from '../../jobs/download-manager-api';
import { ModeldockError } from '../../errors';
import { relativeDestination } from '../../paths/confine-path';
import { sanitizeFileName } from '../../paths/sanitize-file-name';
import { chosenFolder, guessComfyFolderForPath, isWeightFile } from '../comfyui-folders';
import { DEFAULT_HF_CACHE_FOLDER, hfCacheBlobRelativePath, hfCacheSnapshotRelativePath } from './hf-cache-layout';
import type { HfRepoType } from './hf-input';

export interface HfSelectedFile {
  path: string;
  size: number | null;
  /** The cache blob name (ETag); null when the Hub gave none. */
  blob: string | null;
  sha256: string | null;
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
  if (!safe) throw new ModeldockError('INVALID_INPUT', `"${repoPath}" cannot be stored under a safe name`);
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

function largestWeightFolder(files: HfSelectedFile[]): string | null {
  const weights = files.filter((file) => isWeightFile(file.path)).sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
  for (const file of weights) {
    const folder = guessComfyFolderForPath(file.path);
    if (folder) return folder;
  }
  return null;
}

function placeForComfyUi(files: HfSelectedFile[], options: HfDestinationOptions): HfPlacedFile[] {
  const userFolder = chosenFolder(options.folder);
  if (options.kind === 'file') {
    const file = files[0]!;
    const folder = userFolder ?? guessComfyFolderForPath(file.path) ?? 'checkpoints';
    return [{ ...file, relativePath: relativeDestination(folder, options.filename ?? fileNameOf(file.path)) }];
  }
  if (options.kind === 'repository') {
    const isDiffusers = files.some((file) => file.path === 'model_index.json');
    const base = userFolder ?? (isDiffusers ? 'diffusers' : (largestWeightFolder(files) ?? 'huggingface'));
    const repoName = safeSegment(options.repoId.split('/')[1]!, options.repoId);
    const placed = files.map((file) => ({
      ...file,
      relativePath: [base, repoName, ...file.path.split('/').map((segment) => safeSegment(segment, file.path))]
        .filter((part) => part !== '')
        .join('/'),
    }));
    assertDistinct(placed);
    return placed;
  }
  const fallback = largestWeightFolder(files) ?? 'checkpoints';
  const placed = files.map((file) => ({
    ...file,
    relativePath: relativeDestination(userFolder ?? guessComfyFolderForPath(file.path) ?? fallback, fileNameOf(file.path)),
  }));
  assertDistinct(placed);
  return placed;
}

function placeForHfCache(files: HfSelectedFile[], options: HfDestinationOptions): HfPlacedFile[] {
  if (options.filename !== undefined) {
    throw new ModeldockError('INVALID_INPUT', 'A file name cannot be chosen with the Hugging Face cache layout: the cache names files itself');
  }
  const cacheFolder = chosenFolder(options.folder) ?? DEFAULT_HF_CACHE_FOLDER;
  const placed: HfPlacedFile[] = [];
  const blobs = new Set<string>();
  for (const file of files) {
    if (!file.blob) {
      throw new ModeldockError('HTTP_ERROR', `Hugging Face gave no ETag for "${file.path}", which the cache layout needs to name its blob`);
    }
    if (blobs.has(file.blob)) {
      placed.push({
        ...file,
        relativePath: hfCacheSnapshotRelativePath(cacheFolder, options.repoType, options.repoId, options.commit, file.path),
      });
      continue;
    }
    blobs.add(file.blob);
    placed.push({ ...file, relativePath: hfCacheBlobRelativePath(cacheFolder, options.repoType, options.repoId, file.blob) });
  }
  return placed;
}

export function placeHfFiles(files: HfSelectedFile[], options: HfDestinationOptions): HfPlacedFile[] {
  if (options.filename !== undefined && options.kind !== 'file') {
    throw new ModeldockError('INVALID_INPUT', 'A file name can only be given when downloading a single file');
  }
  return options.layout === 'hf-cache' ? placeForHfCache(files, options) : placeForComfyUi(files, options);
}

/** The display name of a repository file: its base name. */
export function displayNameOf(repoPath: string): string {
  return sanitizeFileName(path.posix.basename(repoPath)) ?? repoPath;
}
