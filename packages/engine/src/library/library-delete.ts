/**
 * Deleting library entries: the model file, its sidecars and previews; for a Hugging Face cache
 * entry its snapshot link, and the blob once no snapshot of the repository uses it. Everything is
 * checked before anything is removed: an unknown id, a path that leads out of the models root
 * (directly or through a linked folder), or a file a running download writes refuses the whole
 * request and changes nothing. A missing entry is only forgotten.
 */
import path from 'node:path';
import { ModeldockError, toModeldockError } from '../errors';
import type { FileSystem } from '../ports';
import { absoluteDestination, assertRealPathInsideRoot } from '../paths/confine-path';
import { isModelFileName } from '../verify/format-check';
import { parseHfCachePath } from './library-entry';
import type { LibraryRow } from './library-store';
import type { ModelLibraryContext } from './model-library-context';
import { sidecarsOf } from './library-sidecars';

export const MAX_DELETE_IDS = 500;

export interface DeleteResult {
  deleted: number;
  freedBytes: number;
}

interface DeletePlan {
  row: LibraryRow;
  /** Regular files to remove (the model, its sidecars). */
  files: string[];
  /** A snapshot link to remove, and the blob it points to, removed when nothing else uses it. */
  cacheLink: { link: string; blob: string | null; snapshotsDir: string } | null;
}

export function checkIds(ids: unknown, max: number): string[] {
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > max) {
    throw new ModeldockError('INVALID_INPUT', `ids must list from 1 to ${max} library entry ids`);
  }
  for (const id of ids) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
      throw new ModeldockError('INVALID_INPUT', 'Every id must be a library entry id (text of at most 64 characters)');
    }
  }
  return [...new Set(ids as string[])];
}

function inUseError(relativePath: string): ModeldockError {
  return new ModeldockError(
    'FILE_IN_USE',
    `"${relativePath}" is being written by a download: cancel or finish that download before deleting it`,
  );
}

async function planOne(ctx: ModelLibraryContext, row: LibraryRow, inUse: Set<string>): Promise<DeletePlan> {
  const plan: DeletePlan = { row, files: [], cacheLink: null };
  if (row.status === 'missing') return plan;
  const absolutePath = absoluteDestination(ctx.modelsRoot, row.relativePath);
  if (inUse.has(row.relativePath)) throw inUseError(row.relativePath);
  // The folders on the way must not lead out of the root (the file itself may be a cache link).
  await assertRealPathInsideRoot(ctx.fs, ctx.modelsRoot, path.dirname(absolutePath));
  const stat = await ctx.fs.lstat(absolutePath);
  if (!stat) return plan;
  const cache = parseHfCachePath(row.relativePath);
  if (stat.isSymbolicLink) {
    if (!cache) {
      throw new ModeldockError('PATH_OUTSIDE_ROOT', `"${row.relativePath}" is a link, not a model file: it was not deleted`);
    }
    const repoDir = absoluteDestination(ctx.modelsRoot, [cache.cacheFolder, cache.repoFolder].filter(Boolean).join('/'));
    const real = await ctx.fs.realpath(absolutePath).catch(() => null);
    const blob = real !== null && real.startsWith(path.join(repoDir, 'blobs') + path.sep) ? real : null;
    if (blob && inUse.has(path.relative(ctx.modelsRoot, blob).split(path.sep).join('/'))) throw inUseError(row.relativePath);
    plan.cacheLink = { link: absolutePath, blob, snapshotsDir: path.join(repoDir, 'snapshots') };
    return plan;
  }
  if (!stat.isFile) {
    throw new ModeldockError('INVALID_STATE', `"${row.relativePath}" is no longer a file: it was not deleted`);
  }
  plan.files = [absolutePath, ...(await sidecarsOf(ctx.fs, absolutePath, isModelFileName))];
  return plan;
}

/** Real paths of every snapshot link under a repository's snapshots folder. */
async function linkedBlobs(fs: FileSystem, snapshotsDir: string): Promise<Set<string>> {
  const targets = new Set<string>();
  const visit = async (dir: string, depth: number) => {
    if (depth > 16) return;
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const entry = path.join(dir, name);
      const stat = await fs.lstat(entry).catch(() => null);
      if (stat?.isDirectory) await visit(entry, depth + 1);
      else if (stat?.isSymbolicLink) {
        const real = await fs.realpath(entry).catch(() => null);
        if (real) targets.add(real);
      }
    }
  };
  await visit(snapshotsDir, 0);
  return targets;
}

async function removeFile(fs: FileSystem, absolutePath: string): Promise<number> {
  const stat = await fs.lstat(absolutePath);
  if (!stat) return 0;
  await fs.unlink(absolutePath);
  return stat.isFile ? stat.size : 0;
}

export async function deleteEntries(ctx: ModelLibraryContext, ids: unknown): Promise<DeleteResult> {
  const wanted = checkIds(ids, MAX_DELETE_IDS);
  const rows = await ctx.store.getMany(wanted);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const unknown = wanted.find((id) => !byId.has(id));
  if (unknown !== undefined) throw new ModeldockError('MODEL_NOT_FOUND', `No library entry has the id ${unknown.slice(0, 64)}`);
  const inUse = (await ctx.filesInUse()).relativePaths;
  const plans: DeletePlan[] = [];
  for (const id of wanted) plans.push(await planOne(ctx, byId.get(id)!, inUse));

  let freedBytes = 0;
  const removed: string[] = [];
  try {
    for (const plan of plans) {
      for (const file of plan.files) freedBytes += await removeFile(ctx.fs, file);
      if (plan.cacheLink) {
        const { link, blob, snapshotsDir } = plan.cacheLink;
        await ctx.fs.unlink(link);
        if (blob && !(await linkedBlobs(ctx.fs, snapshotsDir)).has(blob)) freedBytes += await removeFile(ctx.fs, blob);
      }
      if (plan.files[0]) await ctx.fs.syncDirectory(path.dirname(plan.files[0])).catch(() => undefined);
      removed.push(plan.row.id);
      ctx.logger.info({ file: plan.row.relativePath }, 'deleted a model from the library');
    }
  } catch (error) {
    throw toModeldockError(error, 'IO_ERROR');
  } finally {
    if (removed.length > 0) await ctx.store.remove(removed);
  }
  return { deleted: removed.length, freedBytes };
}
