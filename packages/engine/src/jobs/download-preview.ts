/**
 * `preview` (the server's `sources.resolve`): what a download would fetch — files, sizes, hashes,
 * destinations, access — and what is on disk already: the destination's state, and another file with
 * the expected SHA-256 that `reuseExisting` would use. Resolves like enqueue, starts and writes nothing.
 */
import { toModeldockError } from '../errors';
import { absoluteDestination, assertRealPathInsideRoot } from '../paths/confine-path';
import { redactUrl } from '../secrets/redact';
import { directUrlResolver } from '../sources/direct-url';
import { largestPartialSize } from '../sources/presets/preset-status';
import { resolveSource } from '../sources/resolve-source';
import type { SourcePreview } from '../sources/resolve-source';
import type { ListedSourceFile, ResolvedFile } from '../sources/source-resolver';
import { findExistingCopy } from '../library/find-existing-copy';
import { currentIndexEntry } from '../library/indexed-hash';
import type { LibraryContext } from '../library/library-context';
import type {
  DownloadPreview,
  FilePreview,
  ListedFilePreview,
  OnDiskState,
  PreviewRequest,
} from './download-manager-api';
import { checkResolvedFiles } from './job-preparation';
import { validateEnqueueRequest } from './enqueue-request';
import { libraryContextOf, resolveContextOf } from './manager-context';
import type { ManagerContext } from './manager-context';

/**
 * A file at the destination is the expected one when its size agrees and the index, if it knows the
 * file, agrees on the hash; it is not read here (enqueue verifies before relying on it).
 */
async function onDiskState(
  ctx: ManagerContext,
  library: LibraryContext | null,
  file: Pick<ResolvedFile, 'relativePath' | 'bytesTotal' | 'expectedSha256'>,
): Promise<OnDiskState> {
  const absolutePath = absoluteDestination(ctx.modelsRoot, file.relativePath);
  // Refused here as enqueue would refuse it: a folder that is a link leading out of the models folder.
  await assertRealPathInsideRoot(ctx.fs, ctx.modelsRoot, absolutePath);
  const stat = await ctx.fs.stat(absolutePath);
  if (stat && !stat.isFile) return 'conflict';
  if (stat) {
    if (file.bytesTotal !== null && stat.size !== file.bytesTotal) return 'conflict';
    const indexed =
      file.expectedSha256 && library
        ? await currentIndexEntry(library, file.relativePath).catch(() => null)
        : null;
    return indexed && indexed.sha256 !== file.expectedSha256 ? 'conflict' : 'present';
  }
  return (await largestPartialSize(ctx.fs, absolutePath)) === null ? 'missing' : 'partial';
}

/** The picker's rows with their destination's state; a file the preview checked keeps its answer. */
async function listingOnDisk(
  ctx: ManagerContext,
  library: LibraryContext | null,
  listing: ListedSourceFile[],
  checked: FilePreview[],
): Promise<ListedFilePreview[]> {
  const known = new Map(checked.map((file) => [file.relativePath, file.onDisk]));
  const rows: ListedFilePreview[] = [];
  for (const entry of listing) {
    let onDisk: OnDiskState | null = null;
    if (entry.relativePath !== null) {
      onDisk =
        known.get(entry.relativePath) ??
        (await onDiskState(ctx, library, {
          relativePath: entry.relativePath,
          bytesTotal: entry.size,
          expectedSha256: null,
        }).catch(() => null));
    }
    rows.push({ ...entry, onDisk });
  }
  return rows;
}

export async function previewDownload(
  ctx: ManagerContext,
  request: PreviewRequest,
  signal?: AbortSignal,
): Promise<DownloadPreview> {
  const validated = validateEnqueueRequest(request);
  let resolved: SourcePreview;
  try {
    resolved = await resolveSource(validated, [...ctx.resolvers, directUrlResolver], {
      ...resolveContextOf(ctx),
      signal,
    });
  } catch (error) {
    throw toModeldockError(error);
  }
  const library = libraryContextOf(ctx);
  const files: FilePreview[] = [];
  // A repository listing may have nothing ticked yet (several quantisations): the picker shows it.
  const checked =
    resolved.files.length === 0 && resolved.listing ? [] : checkResolvedFiles(ctx, resolved);
  for (const file of checked) {
    const onDisk = await onDiskState(ctx, library, file);
    const copy = onDisk !== 'present' && library ? await findExistingCopy(library, file) : null;
    files.push({
      name: file.name,
      relativePath: file.relativePath,
      bytesTotal: file.bytesTotal,
      estimatedBytes: file.estimatedBytes ?? file.bytesTotal,
      expectedSha256: file.expectedSha256,
      access: file.access,
      credential: file.credential,
      onDisk,
      existingMatch: copy ? { relativePath: copy.relativePath } : null,
      placement: file.placement ?? null,
    });
  }
  const listing = resolved.listing
    ? await listingOnDisk(ctx, library, resolved.listing, files)
    : null;
  return {
    kind: resolved.kind,
    source: redactUrl(resolved.source),
    files,
    bytesTotal: resolved.totalBytes,
    warnings: [...new Set(resolved.warnings)],
    listing,
    choiceRequired: resolved.choiceRequired,
    accessProblem: resolved.accessProblem,
  };
}
