/**
 * `enqueue`: validate the request, resolve it into files (first resolver that accepts the input,
 * else a direct link), then, with the destinations locked: attach to an active job already writing
 * them, report files already present, or create the job. Bad input throws and writes nothing.
 */
import { ModeldockError, toModeldockError } from '../errors';
import type { JobRecord } from '../job-model';
import type { NewFile } from '../ports';
import { absoluteDestination } from '../paths/confine-path';
import { sanitizeFileName } from '../paths/sanitize-file-name';
import { redactUrl } from '../secrets/redact';
import { directUrlResolver } from '../sources/direct-url';
import { linkHfCacheFile } from '../sources/huggingface/hf-cache-layout';
import { COMFYUI_FOLDERS } from '../placement/folder-table';
import type { ResolvedFile, ResolvedSource } from '../sources/source-resolver';
import type { DestinationLocks } from './destination-locks';
import type { EnqueueRequest, EnqueueResult } from './download-manager-api';
import { validateEnqueueRequest } from './enqueue-request';
import type { ValidatedEnqueueRequest } from './enqueue-request';
import { checkExistingDestination } from './existing-destination';
import type { DestinationCheck } from './existing-destination';
import { runWithConcurrency } from '../run-with-concurrency';
import { describeError } from '../errors';
import { logJobStatus } from './job-log';
import { libraryContextOf, resolveContextOf } from './manager-context';
import type { ManagerContext } from './manager-context';
import { reuseExistingFiles } from './reuse-existing-files';
import type { ReusedFile } from './reuse-existing-files';
import type { LibraryContext } from '../library/library-context';
import { redactSecrets } from '../secrets/redact';
import { recordLocalFile } from '../library/record-local-file';
import { isHfCacheBlobPath } from '../library/library-entry';
import { SecretUrlVault } from './secret-url-vault';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Destinations checked at once: a bundle of a thousand files must not wait for each in turn. */
const DESTINATION_CHECKS_AT_ONCE = 8;

/** Every file's destination checked, a few at a time; the first file (in order) that fails decides the error. */
async function checkDestinations(ctx: ManagerContext, files: readonly ResolvedFile[], library: LibraryContext | null): Promise<DestinationCheck[]> {
  const checks: DestinationCheck[] = new Array(files.length);
  const failures: Array<{ index: number; error: unknown }> = [];
  await runWithConcurrency(
    files.map((file, index) => ({ file, index })),
    DESTINATION_CHECKS_AT_ONCE,
    async ({ file, index }) => {
      try {
        checks[index] =
          file.status === 'present'
            ? { present: true, bytes: file.bytesTotal, sha256: file.expectedSha256 }
            : await checkExistingDestination(ctx.fs, ctx.modelsRoot, file, library);
      } catch (error) {
        failures.push({ index, error });
      }
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

export async function enqueueJob(
  ctx: ManagerContext,
  locks: DestinationLocks,
  request: EnqueueRequest,
): Promise<EnqueueResult> {
  const validated = validateEnqueueRequest(request);
  const resolved = await resolveSource(ctx, validated);
  const files = checkResolvedFiles(ctx, resolved);
  assertFoldersKnown(files);
  const destinations = files.map((file) => file.relativePath);

  return locks.withLocks(destinations, async () => {
    const attachedTo = await findJobWritingAll(ctx, files);
    if (attachedTo) {
      logJobStatus(ctx.logger, attachedTo, 'request attached to the job already downloading it');
      return { jobId: attachedTo.id, attached: true, alreadyPresent: false, reused: false };
    }

    // A job for another node lands on that node's disk: what is on this one says nothing about it.
    const elsewhere = validated.node !== undefined && validated.node !== ctx.nodeName;
    const library = elsewhere ? null : libraryContextOf(ctx);
    const checks = elsewhere ? files.map(notCheckedHere) : await checkDestinations(ctx, files, library);
    // A Hugging Face cache blob is named by its content: the same blob in another repository's
    // cache is linked, never downloaded again, whether or not reuse was asked for.
    const reused = library
      ? await reuseExistingFiles(library, files, checks, resolved.kind, (file) =>
          validated.reuseExisting === true || isHfCacheBlobPath(file.relativePath),
        )
      : files.map(() => null);
    const allPresent = checks.every((check) => check.present);
    const allDone = checks.every((check, index) => check.present || reused[index] !== null);

    let job = await ctx.store.createJob(
      {
        source: redactUrl(resolved.source),
        kind: resolved.kind,
        priority: validated.priority,
        bandwidthLimitBps: validated.bandwidthLimitBps,
        onFileFailure: validated.onFileFailure,
        status: allDone ? 'completed' : 'queued',
        node: validated.node ?? null,
        files: files.map((file, index) => toNewFile(file, checks[index]!, reused[index] ?? null)),
      },
      ctx.now(),
    );
    try {
      job = await recordFilesDoneAtEnqueue(ctx, job, checks, reused, allDone);
      await linkDoneFilesIntoHfCache(ctx, job);
      if (library) await recordVerifiedPresentFiles(library, files, checks);
      if (resolved.warnings && resolved.warnings.length > 0) {
        job = (await ctx.store.updateJob(job.id, { warnings: [...new Set(resolved.warnings)] }, ctx.now())) ?? job;
      }
      for (const created of job.files) {
        const original = files[created.index];
        if (original) ctx.secretUrls.remember(created.id, original.url);
      }

      await ctx.events.record('created', job);
    } catch (error) {
      // An enqueue that answers an error has created nothing: the half-made job goes too.
      await ctx.store.deleteJobs([job.id]).catch((cleanupError: unknown) =>
        ctx.logger.warn({ jobId: job.id, err: cleanupError }, 'Could not remove a job whose enqueue failed'),
      );
      throw error;
    }
    if (allPresent) {
      logJobStatus(ctx.logger, job, 'already present, nothing to download', { files: job.files.length });
    } else if (allDone) {
      logJobStatus(ctx.logger, job, 'completed from files already on disk', { files: job.files.length });
    } else {
      logJobStatus(ctx.logger, job, 'job queued', { files: job.files.length, priority: job.priority });
      ctx.wakeScheduler();
    }
    return { jobId: job.id, attached: false, alreadyPresent: allPresent, reused: reused.some((file) => file !== null) };
  });
}

async function resolveSource(ctx: ManagerContext, request: ValidatedEnqueueRequest): Promise<ResolvedSource> {
  const resolver = ctx.resolvers.find((candidate) => candidate.accepts(request.url)) ?? directUrlResolver;
  try {
    return await resolver.resolve(request, resolveContextOf(ctx));
  } catch (error) {
    throw toModeldockError(error);
  }
}

/** Re-checks what a resolver produced: names safe, destinations inside the root and distinct. */
export function checkResolvedFiles<File extends ResolvedFile>(ctx: Pick<ManagerContext, 'modelsRoot'>, resolved: { source: string; files: File[] }): File[] {
  if (resolved.files.length === 0) {
    throw new ModeldockError('INVALID_INPUT', `Nothing to download at ${redactUrl(resolved.source)}: it lists no files`);
  }
  const seen = new Set<string>();
  return resolved.files.map((file) => {
    absoluteDestination(ctx.modelsRoot, file.relativePath);
    if (file.relativePath === '' || seen.has(file.relativePath)) {
      throw new ModeldockError('INVALID_INPUT', `Two files of this download would be saved as "${file.relativePath}"`);
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
  const names = open.slice(0, 5).map((file) => file.name).join(', ');
  throw new ModeldockError(
    'FOLDER_REQUIRED',
    `Choose a folder for ${names}: ${open[0]!.placement!.evidence}. ComfyUI reads models only from its folders, e.g. ${COMFYUI_FOLDERS.slice(0, 8).map((entry) => entry.folder).join(', ')}`,
    { details: { files: open.map((file) => file.name) } },
  );
}

/**
 * The active job writing every one of these files; a partial overlap is a conflict, and so is a file
 * whose SHA-256 differs from the one being written there (another file under the same name).
 */
async function findJobWritingAll(ctx: ManagerContext, files: readonly ResolvedFile[]): Promise<JobRecord | null> {
  const destinations = files.map((file) => file.relativePath);
  const active = await ctx.store.findActiveJobByDestination(destinations);
  if (!active) return null;
  const itsFiles = new Map(active.files.map((file) => [file.relativePath, file]));
  const shared = destinations.filter((destination) => itsFiles.has(destination));
  if (shared.length !== destinations.length) {
    throw new ModeldockError(
      'DESTINATION_EXISTS',
      `"${shared[0] ?? destinations[0]}" is already being downloaded by another download (${active.id}). Wait for it to finish, or choose another folder.`,
    );
  }
  const different = files.find((file) => {
    const expected = itsFiles.get(file.relativePath)?.expectedSha256 ?? null;
    return file.expectedSha256 !== null && expected !== null && file.expectedSha256 !== expected;
  });
  if (different) {
    throw new ModeldockError(
      'DESTINATION_EXISTS',
      `"${different.relativePath}" is already being downloaded by another download (${active.id}), and its SHA-256 says it is a different file. Wait for it to finish, or choose another folder or file name.`,
    );
  }
  return active;
}

function toNewFile(file: ResolvedFile, check: DestinationCheck, reused: ReusedFile | null): NewFile {
  const status = check.present ? 'present' : reused ? 'completed' : 'queued';
  return {
    url: SecretUrlVault.storable(file.url),
    name: file.name,
    relativePath: file.relativePath,
    bytesTotal: check.present ? (check.bytes ?? file.bytesTotal) : reused ? reused.bytes : file.bytesTotal,
    expectedSha256: file.expectedSha256,
    credential: file.credential,
    revision: file.revision,
    status,
  };
}

/**
 * A present file counts as fully done, with the hash it was checked against; a reused one as
 * completed by this job (it placed it, so a rollback may remove it).
 */
async function recordFilesDoneAtEnqueue(
  ctx: ManagerContext,
  job: JobRecord,
  checks: DestinationCheck[],
  reused: Array<ReusedFile | null>,
  allDone: boolean,
): Promise<JobRecord> {
  let changed = false;
  for (const file of job.files) {
    const check = checks[file.index];
    const placement = reused[file.index];
    if (check?.present) {
      const bytes = check.bytes ?? file.bytesTotal ?? 0;
      await ctx.store.updateFile(file.id, { bytesDone: bytes, bytesTotal: bytes, sha256: check.sha256, status: 'present' }, ctx.now());
      changed = true;
    } else if (placement) {
      await ctx.store.updateFile(
        file.id,
        { bytesDone: placement.bytes, bytesTotal: placement.bytes, sha256: placement.sha256, status: 'completed' },
        ctx.now(),
      );
      changed = true;
    }
  }
  if (allDone) {
    await ctx.store.updateJob(job.id, { finishedAt: ctx.now(), status: 'completed' }, ctx.now());
  }
  if (!changed) return job;
  return (await ctx.store.getJob(job.id)) ?? job;
}

/** Present files hashed just now go into the local file index, so the next check need not read them. */
async function recordVerifiedPresentFiles(library: LibraryContext, files: ResolvedFile[], checks: DestinationCheck[]): Promise<void> {
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
async function linkDoneFilesIntoHfCache(ctx: ManagerContext, job: JobRecord): Promise<void> {
  for (const file of job.files) {
    if (file.status !== 'present' && file.status !== 'completed') continue;
    try {
      await ctx.cacheLinks.run(() => linkHfCacheFile(job, file, { fs: ctx.fs, modelsRoot: ctx.modelsRoot }));
    } catch (error) {
      ctx.logger.warn(
        { jobId: job.id, file: file.relativePath, message: describeError(error) },
        'could not link a present file into the Hugging Face cache',
      );
    }
  }
}
