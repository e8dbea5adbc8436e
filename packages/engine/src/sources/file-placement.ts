/**
 * Deciding each resolved file's folder from its own bytes before it is downloaded: the header is
 * read by Range (model-format/) when the folder is not already settled by the user or by the
 * source's authority, a few files at a time, at most MAX_PROBES per request. A probe that fails
 * (no Range support, refused, slow) falls back to the path and name and says so.
 */
import { describeError } from '../errors';
import { isProbeableName, probeModelFile } from '../model-format/probe-model-file';
import type { ProbedFormat } from '../model-format/probe-model-file';
import { remoteByteReader } from '../model-format/remote-bytes';
import type { ModelClassification } from '../model-format/model-class';
import { decideFolder } from '../placement/choose-folder';
import { chosenFolderMismatchWarning } from '../placement/placement-check';
import type { FolderDecision } from '../placement/choose-folder';
import type { CredentialKind } from '../job-model';
import type { ResolveContext } from './source-resolver';

/** What the preview shows beside a file's destination, and what enqueue checks. */
export interface FilePlacement {
  modelClass: string | null;
  /** 'user', 'source' (Civitai type, split_files/ path), 'header' (the file's bytes), 'path', 'name', or null. */
  basis: string | null;
  evidence: string;
  /** True when nothing tells the file's folder: the user must choose one (enqueue refuses without). */
  needsFolder: boolean;
  /** Previews only: the folder the user chose disagrees with the file's header, and why. */
  mismatch?: string;
}

export const MAX_PROBES = 40;
const PROBES_AT_ONCE = 4;
const PROBE_TIMEOUT_MS = 15_000;

export interface ProbeTarget {
  url: string;
  fileName: string;
  repoPath?: string;
  size?: number | null;
  userFolder?: string | null;
  authoritative?: FolderDecision | null;
}

export interface ProbeAccess {
  token: string | null;
  /** The origin the token belongs to. */
  authorizationOrigin?: string;
  credential: CredentialKind;
}

export function placementOf(decision: FolderDecision & { mismatch?: string }): FilePlacement {
  return {
    modelClass: decision.modelClass,
    basis: decision.basis,
    evidence: decision.evidence,
    needsFolder: decision.folder === null,
    ...(decision.mismatch ? { mismatch: decision.mismatch } : {}),
  };
}

/** A decision, with the format the header turned out to be when one was read. */
export type ProbedDecision = FolderDecision & {
  format: ProbedFormat | null;
  /** A preview's warning that the user's folder disagrees with the header (chosenFolderMismatchWarning). */
  mismatch?: string;
};

async function probe(
  target: ProbeTarget,
  access: ProbeAccess,
  context: ResolveContext,
): Promise<{ classification: ModelClassification; format: ProbedFormat | null } | null> {
  const read = remoteByteReader({
    http: context.http,
    url: target.url,
    token: access.token,
    authorizationOrigin: access.authorizationOrigin,
    credential: access.credential,
    timeoutMs: PROBE_TIMEOUT_MS,
    signal: context.signal,
    nowMs: context.clock.now(),
  });
  try {
    const probed = await probeModelFile(read, { fileName: target.fileName, fileSize: target.size });
    return { classification: probed.classification, format: probed.format };
  } catch (error) {
    if (context.signal?.aborted) throw error;
    context.logger.debug(
      { file: target.fileName, message: describeError(error) },
      'could not read a header before download',
    );
    return null;
  }
}

/** A folder decision for each target, probing the files whose folder is still open. */
export async function decideFolders(
  targets: ProbeTarget[],
  access: ProbeAccess,
  context: ResolveContext,
): Promise<ProbedDecision[]> {
  const decisions: ProbedDecision[] = new Array(targets.length);
  let probes = 0;
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const index = next++;
      const target = targets[index]!;
      // A preview reads the header even when the user chose a folder, to warn when they disagree.
      const settled = (Boolean(target.userFolder) && context.purpose !== 'preview') || Boolean(target.authoritative?.folder);
      const probed =
        !settled && probes < MAX_PROBES && isProbeableName(target.fileName)
          ? (probes++, await probe(target, access, context))
          : null;
      const decision = decideFolder({
        fileName: target.fileName,
        repoPath: target.repoPath,
        userFolder: target.userFolder,
        authoritative: target.authoritative,
        header: probed?.classification ?? null,
      });
      const mismatch =
        target.userFolder && probed
          ? chosenFolderMismatchWarning(`${decision.folder ?? target.userFolder}/${target.fileName}`, probed.classification)
          : null;
      decisions[index] = { ...decision, format: probed?.format ?? null, ...(mismatch ? { mismatch } : {}) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBES_AT_ONCE, targets.length) }, worker));
  return decisions;
}
