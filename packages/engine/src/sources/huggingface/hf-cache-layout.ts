/**
 * The Hugging Face cache layout, so diffusers and transformers find downloads offline
 * (HF_HOME=<models root>/huggingface, i.e. HF_HUB_CACHE=<models root>/huggingface/hub):
 *
 *   <cache>/models--org--name/blobs/<etag>                      the bytes (what the job downloads)
 *   <cache>/models--org--name/snapshots/<commit>/<path>         relative symlink to ../../blobs/<etag>
 *   <cache>/models--org--name/refs/<revision>                   the commit, when a branch or tag was asked
 *                                                               (refs/ itself always, even when empty)
 *
 * The job layer downloads each blob like any file, then calls `linkHfCacheFile(job, file, …)` after
 * the file completes; it does nothing for files that are not cache blobs, so it can run for all.
 * A second path of the same job with the same content (a "twin", placed at its snapshot path) is
 * never downloaded: once its blob is in place, `linkHfCacheTwin` makes it a second link to it.
 */
import path from 'node:path';
import { ModeldockError } from '../../errors';
import type { FileRecord, JobRecord } from '../../job-model';
import { absoluteDestination, assertRealPathInsideRoot, normaliseFolder } from '../../paths/confine-path';
import type { FileSystem } from '../../ports';
import type { HfRepoType } from './hf-input';
import { validateRepoId, validateRepoPath, validateRevision } from './hf-input';
import { revisionOfHfSource } from './hf-job-source';

export const DEFAULT_HF_CACHE_FOLDER = 'huggingface/hub';

const TYPE_PREFIXES: Record<HfRepoType, string> = { model: 'models', dataset: 'datasets', space: 'spaces' };

export interface HfCacheEntry {
  /** The cache folder relative to the models root, e.g. "huggingface/hub". */
  cacheFolder: string;
  repoType: HfRepoType;
  repoId: string;
  commit: string;
  /** The branch or tag asked for; null (or the commit itself) writes no ref. */
  ref: string | null;
  /** Path of the file inside the repository. */
  path: string;
  /** Blob name: the file's ETag (sha256 for LFS, git sha1 otherwise). */
  blob: string;
}

export function isSafeBlobName(blob: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(blob);
}

/** `models--org--name`, as huggingface_hub names a repository's cache folder. */
export function hfCacheRepoFolder(repoType: HfRepoType, repoId: string): string {
  return `${TYPE_PREFIXES[repoType]}--${repoId.split('/').join('--')}`;
}

export function hfCacheBlobRelativePath(cacheFolder: string, repoType: HfRepoType, repoId: string, blob: string): string {
  if (!isSafeBlobName(blob)) {
    throw new ModeldockError('INVALID_INPUT', `Hugging Face gave an identifier ("${blob.slice(0, 80)}") that cannot name a cache blob`);
  }
  const folder = normaliseFolder(cacheFolder);
  return `${folder === '' ? '' : `${folder}/`}${hfCacheRepoFolder(repoType, repoId)}/blobs/${blob}`;
}

/**
 * `<cache>/models--org--name/snapshots/<commit>/<path>`: where diffusers and transformers look a file
 * up: a link to its blob. Also where a second path of a blob of the same job is planned (its twin),
 * linked once the blob is in place; downloaded there only when its content hash is unknown.
 */
export function hfCacheSnapshotRelativePath(
  cacheFolder: string,
  repoType: HfRepoType,
  repoId: string,
  commit: string,
  repoPath: string,
): string {
  if (!/^[0-9a-f]{40}$/.test(commit)) {
    throw new ModeldockError('INVALID_INPUT', `"${commit.slice(0, 60)}" is not a commit id`);
  }
  validateRepoPath(repoPath);
  const folder = normaliseFolder(cacheFolder);
  return `${folder === '' ? '' : `${folder}/`}${hfCacheRepoFolder(repoType, repoId)}/snapshots/${commit}/${repoPath}`;
}

const BLOB_PATH = /^(?:(.*)\/)?(models|datasets|spaces)--([^/]+?)--([^/]+)\/blobs\/([^/]+)$/;

/** Reads a completed file back into a cache entry; null when the file is not an HF cache blob. */
export function hfCacheEntryFor(
  job: Pick<JobRecord, 'source'>,
  file: Pick<FileRecord, 'relativePath' | 'url' | 'revision'>,
): HfCacheEntry | null {
  const match = BLOB_PATH.exec(file.relativePath);
  if (!match || !file.revision) return null;
  const [, cacheFolder = '', typePrefix, org, name, blob] = match;
  const repoType: HfRepoType = typePrefix === 'datasets' ? 'dataset' : typePrefix === 'spaces' ? 'space' : 'model';
  let url: URL;
  try {
    url = new URL(file.url);
  } catch {
    return null;
  }
  const marker = `/resolve/${file.revision}/`;
  const at = url.pathname.indexOf(marker);
  if (at === -1) return null;
  let repoPath: string;
  try {
    repoPath = url.pathname.slice(at + marker.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
  return {
    cacheFolder,
    repoType,
    repoId: `${org}/${name}`,
    commit: file.revision,
    ref: revisionOfHfSource(job.source),
    path: repoPath,
    blob: blob!,
  };
}

/** What a file system that cannot hold symbolic links answers (network shares, Windows without the right). */
const NO_SYMLINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Temporary names this module writes beside a link or a ref, renamed into place at once. */
export const HF_CACHE_TEMP_SUFFIXES = ['.modeldock-link', '.modeldock-ref'] as const;

/** A link or ref left half-made by a crash: removed at start like a partial file. */
export function isHfCacheTempName(name: string): boolean {
  return name.startsWith('.') && HF_CACHE_TEMP_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

async function replaceWithSymlink(fs: FileSystem, target: string, linkPath: string, uniqueSuffix: string): Promise<void> {
  const temporary = path.join(path.dirname(linkPath), `.${path.basename(linkPath)}.${uniqueSuffix}${HF_CACHE_TEMP_SUFFIXES[0]}`);
  try {
    await fs.symlink(target, temporary);
  } catch (error) {
    if (!NO_SYMLINK_CODES.has((error as { code?: unknown }).code as string)) throw error;
    throw new ModeldockError('IO_ERROR', 'This file system cannot create symbolic links, which the Hugging Face cache layout needs', { cause: error });
  }
  try {
    // rename over the old link is atomic: a reader sees the old link or the new one, never none.
    await fs.rename(temporary, linkPath);
  } catch (error) {
    await fs.unlink(temporary).catch(() => undefined);
    throw error;
  }
}

async function writeRef(fs: FileSystem, refPath: string, commit: string, uniqueSuffix: string): Promise<void> {
  const temporary = path.join(path.dirname(refPath), `.${path.basename(refPath)}.${uniqueSuffix}${HF_CACHE_TEMP_SUFFIXES[1]}`);
  const handle = await fs.open(temporary, 'w');
  try {
    const bytes = Buffer.from(commit, 'utf8');
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temporary, refPath);
  } catch (error) {
    await fs.unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/**
 * Creates `snapshots/<commit>/<path>` → blob and `refs/<ref>` for a blob already in place. Idempotent;
 * a real file (not a link) already at the snapshot path is left alone rather than replaced.
 */
export async function linkHfCacheSnapshot(fs: FileSystem, modelsRoot: string, entry: HfCacheEntry): Promise<void> {
  validateRepoId(entry.repoId);
  validateRepoPath(entry.path);
  if (!/^[0-9a-f]{40}$/.test(entry.commit)) {
    throw new ModeldockError('INVALID_INPUT', `"${entry.commit.slice(0, 60)}" is not a commit id`);
  }
  const blobRelative = hfCacheBlobRelativePath(entry.cacheFolder, entry.repoType, entry.repoId, entry.blob);
  const repoRelative = blobRelative.slice(0, -`/blobs/${entry.blob}`.length);
  const blobPath = absoluteDestination(modelsRoot, blobRelative);
  const blobStat = await fs.stat(blobPath);
  if (!blobStat?.isFile) {
    throw new ModeldockError('IO_ERROR', `The downloaded blob ${blobRelative} is missing, so its snapshot link cannot be made`);
  }
  const uniqueSuffix = `${process.pid}-${Date.now().toString(36)}`;

  const snapshotPath = absoluteDestination(modelsRoot, `${repoRelative}/snapshots/${entry.commit}/${entry.path}`);
  await fs.mkdir(path.dirname(snapshotPath));
  await assertRealPathInsideRoot(fs, modelsRoot, snapshotPath);
  const existing = await fs.lstat(snapshotPath);
  if (!existing || existing.isSymbolicLink) {
    await replaceWithSymlink(fs, path.relative(path.dirname(snapshotPath), blobPath), snapshotPath, uniqueSuffix);
    await fs.syncDirectory(path.dirname(snapshotPath));
  }

  // refs/ always exists: huggingface.js's scanCacheDir fails a repository folder without it.
  const refsFolder = absoluteDestination(modelsRoot, `${repoRelative}/refs`);
  if (!(await fs.stat(refsFolder))) {
    await fs.mkdir(refsFolder);
    await fs.syncDirectory(path.dirname(refsFolder));
  }

  if (entry.ref && entry.ref !== entry.commit) {
    validateRevision(entry.ref);
    const refPath = absoluteDestination(modelsRoot, `${repoRelative}/refs/${entry.ref}`);
    await fs.mkdir(path.dirname(refPath));
    await assertRealPathInsideRoot(fs, modelsRoot, refPath);
    await writeRef(fs, refPath, entry.commit, uniqueSuffix);
    await fs.syncDirectory(path.dirname(refPath));
  }
}

/**
 * The job layer's post-completion hook: links a completed HF cache blob into its snapshot and
 * writes the ref. Returns false (and touches nothing) for any other file.
 */
export async function linkHfCacheFile(
  job: Pick<JobRecord, 'source'>,
  file: Pick<FileRecord, 'relativePath' | 'url' | 'revision'>,
  context: { fs: FileSystem; modelsRoot: string },
): Promise<boolean> {
  const entry = hfCacheEntryFor(job, file);
  if (!entry) return false;
  await linkHfCacheSnapshot(context.fs, context.modelsRoot, entry);
  return true;
}

const SNAPSHOT_PATH = /^((?:.*\/)?(?:models|datasets|spaces)--[^/]+?--[^/]+)\/snapshots\/[0-9a-f]{40}\/.+$/;

/**
 * For a file planned at a snapshot path (the layout puts a second path with an already-planned blob
 * there): the blob that holds its content, `<repo folder>/blobs/<sha256>`. Null for any other file,
 * and for a file whose content hash is unknown (its blob cannot be named from the record).
 */
export function hfCacheTwinBlobPath(file: Pick<FileRecord, 'relativePath' | 'expectedSha256'>): string | null {
  const match = SNAPSHOT_PATH.exec(file.relativePath);
  const sha256 = file.expectedSha256;
  if (!match || !sha256 || !isSafeBlobName(sha256)) return null;
  return `${match[1]}/blobs/${sha256}`;
}

/**
 * Makes a twin's snapshot path a relative link to the blob that already holds its bytes (checked
 * against its expected size). A real file already there is left alone. Returns the blob's size.
 */
export async function linkHfCacheTwin(
  fs: FileSystem,
  modelsRoot: string,
  file: Pick<FileRecord, 'relativePath' | 'expectedSha256' | 'bytesTotal'>,
): Promise<number> {
  const blobRelative = hfCacheTwinBlobPath(file);
  if (!blobRelative) {
    throw new ModeldockError('INTERNAL', `${file.relativePath} is not a second path of a Hugging Face cache blob`);
  }
  const blobPath = absoluteDestination(modelsRoot, blobRelative);
  const blobStat = await fs.stat(blobPath);
  if (!blobStat?.isFile) {
    throw new ModeldockError('IO_ERROR', `The blob ${blobRelative} that holds ${file.relativePath} is missing, so the link cannot be made`);
  }
  if (file.bytesTotal !== null && blobStat.size !== file.bytesTotal) {
    throw new ModeldockError('IO_ERROR', `The blob ${blobRelative} has ${blobStat.size} bytes, not the ${file.bytesTotal} expected for ${file.relativePath}`);
  }
  const snapshotPath = absoluteDestination(modelsRoot, file.relativePath);
  await fs.mkdir(path.dirname(snapshotPath));
  await assertRealPathInsideRoot(fs, modelsRoot, snapshotPath);
  const existing = await fs.lstat(snapshotPath);
  if (!existing || existing.isSymbolicLink) {
    const uniqueSuffix = `${process.pid}-${Date.now().toString(36)}`;
    await replaceWithSymlink(fs, path.relative(path.dirname(snapshotPath), blobPath), snapshotPath, uniqueSuffix);
    await fs.syncDirectory(path.dirname(snapshotPath));
  }
  return blobStat.size;
}
