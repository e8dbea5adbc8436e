/**
 * A job's first step, run by the worker holding its lease before any byte of a file moves: resolve
 * the request into files (first resolver that accepts it, else a direct link), then, with the
 * destinations locked, refuse files another active job writes, check (hash) what already sits at
 * each destination, place matching files already on disk (`reuseExisting`), and store the files
 * and the outcome at once. Its errors are the job's: the caller fails the job with them.
 *
 * Redone from the start whenever it did not finish (a crash, a shutdown, a pause): nothing it does
 * before the final store write changes what a redo finds, except files placed by reuse, which a
 * redo then finds present.
 */
import { ModeldockError, describeError, toModeldockError } from '../errors';
import type { JobPhase, JobRecord } from '../job-model';
import type { JobPatch, NewFile } from '../ports';
import { absoluteDestination } from '../paths/confine-path';
import { sanitizeFileName } from '../paths/sanitize-file-name';
import { redactSecrets, redactUrl } from '../secrets/redact';
import { linkHfCacheFile } from '../sources/huggingface/hf-cache-layout';
import { COMFYUI_FOLDERS } from '../placement/folder-table';
import type { ResolvedFile, ResolvedSource } from '../sources/source-resolver';
import type { LibraryContext } from '../library/library-context';
import { recordLocalFile } from '../library/record-local-file';
import { isHfCacheBlobPath } from '../library/library-entry';
import { resolverFor } from './enqueue-job';
import type { ValidatedEnqueueRequest } from './enqueue-request';
import { checkExistingDestination } from './existing-destination';
import type { DestinationCheck } from './existing-destination';
import { runWithConcurrency } from '../run-with-concurrency';
import { libraryContextOf, resolveContextOf } from './manager-context';
import type { ManagerContext } from './manager-context';
import { reuseExistingFiles } from './reuse-existing-files';
import type { ReusedFile } from './reuse-existing-files';
import { SecretUrlVault } from './secret-url-vault';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Destinations checked at once: a bundle of a thousand files must not wait for each in turn. */
const DESTINATION_CHECKS_AT_ONCE = 8;
/** What redaction leaves in place of a secret in a stored link. */
const REDACTION_MARK = '[redacted]';

export interface PreparationHooks {
  signal: AbortSignal;
  /** Told of each step and of hashing progress; records it on the job. */
  onPhase(phase: JobPhase): Promise<void>;
  /**
   * Asked right before the outcome is stored: 'running' when this run goes on to download the
   * files, 'queued' when the job then waits its turn in the queue.
   */
  next(): 'queued' | 'running';
}

export interface PreparedJob {
  job: JobRecord;
  /** Every file was already present (or reused): the job is completed. */
  allDone: boolean;
  allPresent: boolean;
  reused: number;
}

/** Runs the first step; null when the lease was lost before its outcome could be stored. */
export async function prepareJob(
  ctx: ManagerContext,
  job: JobRecord,
  hooks: PreparationHooks,
): Promise<PreparedJob | null> {
  const request = requestOf(ctx, job);
  await hooks.onPhase({ step: 'resolving', detail: null, bytesDone: 0, bytesTotal: null });
  const resolved = await resolveSource(ctx, request, hooks.signal);
  hooks.signal.throwIfAborted();
  const files = checkResolvedFiles(ctx, resolved);
  assertFoldersKnown(files);

  return ctx.destinationLocks.withLocks(
    files.map((file) => file.relativePath),
    async () => {
      await refuseFilesWrittenElsewhere(ctx, job.id, files);
      // A job for another node lands on that node's disk: what is on this one says nothing about it.
      const elsewhere = job.node !== null && job.node !== ctx.nodeName;
      const library = elsewhere ? null : libraryContextOf(ctx);
      const checks = elsewhere
        ? files.map(notCheckedHere)
        : await checkDestinations(ctx, files, library, hooks);
      hooks.signal.throwIfAborted();
      // A Hugging Face cache blob is named by its content: the same blob in another repository's
      // cache is linked, never downloaded again, whether or not reuse was asked for.
      const reused = library
        ? await reuseExistingFiles(
            library,
            files,
            checks,
            resolved.kind,
            (file) => request.reuseExisting === true || isHfCacheBlobPath(file.relativePath),
          )
        : files.map(() => null);
      const allPresent = checks.every((check) => check.present);
      const allDone = checks.every((check, index) => check.present || reused[index] !== null);
      const warnings = [...new Set([...job.warnings, ...(resolved.warnings ?? [])])];
      const now = ctx.now();
      const patch: JobPatch = {
        phase: null,
        request: null,
        source: redactUrl(resolved.source),
        kind: resolved.kind,
        warnings,
        ...(allDone
          ? { status: 'completed', finishedAt: now, stalled: null, speedBps: 0, releaseLease: true }
          : hooks.next() === 'queued'
            ? { status: 'queued', releaseLease: true }
            : { status: 'running', startedAt: job.startedAt ?? now }),
      };
      const newFiles = files.map((file, index) =>
        toNewFile(file, checks[index]!, reused[index] ?? null),
      );
      // Linked before the job says so: a completed job's files are where its layout puts them.
      await linkDoneFilesIntoHfCache(ctx, job.id, { source: patch.source! }, newFiles);
      const prepared = await ctx.store.addPreparedFiles(job.id, newFiles, patch, now, ctx.workerId);
      if (!prepared) return null;
      ctx.pendingRequests.delete(job.id);
      for (const created of prepared.files) {
        const original = files[created.index];
        if (original) ctx.secretUrls.remember(created.id, original.url);
      }
      if (library) await recordVerifiedPresentFiles(library, files, checks);
      return {
        job: prepared,
        allDone,
        allPresent,
        reused: reused.filter((file) => file !== null).length,
      };
    },
  );
}

/** The real request when this process enqueued it, else the stored one (its link without secrets). */
function requestOf(ctx: ManagerContext, job: JobRecord): ValidatedEnqueueRequest {
  const known = ctx.pendingRequests.get(job.id);
  if (known) return known;
  const stored = job.request as ValidatedEnqueueRequest | null | undefined;
  if (!stored || typeof stored.url !== 'string') {
    throw new ModeldockError(
      'INTERNAL',
      'This download lost the request it was created from: add it again.',
    );
  }
  if (stored.url.includes(REDACTION_MARK)) {
    throw new ModeldockError(
      'SIGNED_URL_EXPIRED',
      'The link carried a token or signature, which modeldock never stores, and it was lost when the server restarted. Paste the link again to download it.',
    );
  }
  return stored;
}

async function resolveSource(
  ctx: ManagerContext,
  request: ValidatedEnqueueRequest,
  signal: AbortSignal,
): Promise<ResolvedSource> {
  const resolver = resolverFor(ctx, request.url);
  try {
    return await resolver.resolve(request, { ...resolveContextOf(ctx), signal });
  } catch (error) {
    throw toModeldockError(error);
  }
}

/** Re-checks what a resolver produced: names safe, destinations inside the root and distinct. */
export function checkResolvedFiles<File extends ResolvedFile>(
  ctx: Pick<ManagerContext, 'modelsRoot'>,
  resolved: { source: string; files: File[] },
): File[] {
  if (resolved.files.length === 0) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `Nothing to download at ${redactUrl(resolved.source)}: it lists no files`,
    );
  }
  const seen = new Set<string>();
  return resolved.files.map((file) => {
    absoluteDestination(ctx.modelsRoot, file.relativePath);
    if (file.relativePath === '' || seen.has(file.relativePath)) {
      throw new ModeldockError(
        'INVALID_INPUT',
        `Two files of this download would be saved as "${file.relativePath}"`,
      );
    }
    seen.add(file.relativePath);
    const lastSegment = file.relativePath.split('/').pop() ?? file.relativePath;
    const expected = file.expectedSha256?.trim().toLowerCase() ?? null;
    return {
      ...file,
      name: sanitizeFileName(file.name) ?? lastSegment,
      expectedSha256: expected !== null && SHA256_HEX.test(expected) ? expected : null,
    };
  });
}

/** A file nothing places is never put in the models root: the request must name its folder. */
function assertFoldersKnown(files: readonly ResolvedFile[]): void {
  const open = files.filter((file) => file.placement?.needsFolder);
  if (open.length === 0) return;
  const names = open
    .slice(0, 5)
    .map((file) => file.name)
    .join(', ');
  throw new ModeldockError(
    'FOLDER_REQUIRED',
    `Choose a folder for ${names}: ${open[0]!.placement!.evidence}. ComfyUI reads models only from its folders, e.g. ${COMFYUI_FOLDERS.slice(
      0,
      8,
    )
      .map((entry) => entry.folder)
      .join(', ')}`,
    { details: { files: open.map((file) => file.name) } },
  );
}

/** Another active job writing one of these files: two jobs never write one destination. */
async function refuseFilesWrittenElsewhere(
  ctx: ManagerContext,
  jobId: string,
  files: readonly ResolvedFile[],
): Promise<void> {
  const destinations = files.map((file) => file.relativePath);
  const active = await ctx.store.findActiveJobByDestination(destinations);
  if (!active || active.id === jobId) return;
  const shared = new Set(active.files.map((file) => file.relativePath));
  const first = destinations.find((destination) => shared.has(destination)) ?? destinations[0];
  throw new ModeldockError(
    'DESTINATION_EXISTS',
    `"${first}" is already being downloaded by another download (${active.id}). Wait for it to finish, or choose another folder or file name.`,
    { details: { jobId: active.id } },
  );
}

/** Every file's destination checked, a few at a time; the first file (in order) that fails decides the error. */
async function checkDestinations(
  ctx: ManagerContext,
  files: readonly ResolvedFile[],
  library: LibraryContext | null,
  hooks: PreparationHooks,
): Promise<DestinationCheck[]> {
  const checks: DestinationCheck[] = new Array(files.length);
  const failures: Array<{ index: number; error: unknown }> = [];
  let checked = 0;
  await runWithConcurrency(
    files.map((file, index) => ({ file, index })),
    DESTINATION_CHECKS_AT_ONCE,
    async ({ file, index }) => {
      try {
        checks[index] =
          file.status === 'present'
            ? { present: true, bytes: file.bytesTotal, sha256: file.expectedSha256 }
            : await checkExistingDestination(ctx.fs, ctx.modelsRoot, file, library, {
                signal: hooks.signal,
                onHashing: (bytesDone, bytesTotal) =>
                  hooks.onPhase({
                    step: 'verifying-existing',
                    detail: `Checking ${file.relativePath}, already on disk (${checked + 1} of ${files.length})`,
                    bytesDone,
                    bytesTotal,
                  }),
              });
      } catch (error) {
        failures.push({ index, error });
      }
      checked++;
    },
    () => failures.length > 0,
  );
  if (failures.length > 0) throw failures.sort((a, b) => a.index - b.index)[0]!.error;
  return checks;
}

/** A file of a job for another node: its destination is on that node, so nothing is known here. */
function notCheckedHere(file: ResolvedFile): DestinationCheck {
  return file.status === 'present'
    ? { present: true, bytes: file.bytesTotal, sha256: file.expectedSha256 }
    : { present: false, bytes: null, sha256: null };
}

/**
 * A present file counts as fully done, with the hash it was checked against; a reused one as
 * completed by this job (it placed it, so a rollback may remove it).
 */
function toNewFile(
  file: ResolvedFile,
  check: DestinationCheck,
  reused: ReusedFile | null,
): NewFile {
  const common = {
    url: SecretUrlVault.storable(file.url),
    name: file.name,
    relativePath: file.relativePath,
    expectedSha256: file.expectedSha256,
    credential: file.credential,
    revision: file.revision,
  };
  if (check.present) {
    const bytes = check.bytes ?? file.bytesTotal ?? 0;
    return {
      ...common,
      status: 'present',
      bytesTotal: bytes,
      bytesDone: bytes,
      sha256: check.sha256,
    };
  }
  if (reused)
    return {
      ...common,
      status: 'completed',
      bytesTotal: reused.bytes,
      bytesDone: reused.bytes,
      sha256: reused.sha256,
    };
  return { ...common, status: 'queued', bytesTotal: file.bytesTotal };
}

/** Present files hashed just now go into the local file index, so the next check need not read them. */
async function recordVerifiedPresentFiles(
  library: LibraryContext,
  files: ResolvedFile[],
  checks: DestinationCheck[],
): Promise<void> {
  for (const [index, file] of files.entries()) {
    const check = checks[index];
    if (check?.present && check.hashedNow && check.sha256) {
      await recordLocalFile(library, {
        relativePath: file.relativePath,
        sha256: check.sha256,
        sourceKind: null,
        origin: { url: redactSecrets(file.url), revision: file.revision ?? null, jobId: null },
      });
    }
  }
}

/** A blob already in the Hugging Face cache still needs its snapshot link; failing that is logged, not fatal. */
async function linkDoneFilesIntoHfCache(
  ctx: ManagerContext,
  jobId: string,
  job: { source: string },
  files: NewFile[],
): Promise<void> {
  for (const file of files) {
    if (file.status !== 'present' && file.status !== 'completed') continue;
    try {
      await ctx.cacheLinks.run(() =>
        linkHfCacheFile(job, file, { fs: ctx.fs, modelsRoot: ctx.modelsRoot }),
      );
    } catch (error) {
      ctx.logger.warn(
        { jobId, file: file.relativePath, message: describeError(error) },
        'could not link a present file into the Hugging Face cache',
      );
    }
  }
}
