/**
 * Validates what a client sent to `enqueue` before anything is resolved or written. Every rejection
 * is a ModeldockError whose message says what was wrong and what a good value looks like.
 */
import { ModeldockError } from '../errors';
import { normaliseFolder } from '../paths/confine-path';
import { sanitizeFileName } from '../paths/sanitize-file-name';
import type { EnqueueRequest } from './download-manager-api';

export const MAX_URL_LENGTH = 8192;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A request whose fields are checked and normalised; resolvers receive it in place of the raw one. */
export interface ValidatedEnqueueRequest extends EnqueueRequest {
  url: string;
  /** '' for the models root. */
  folder: string;
  filename?: string;
  sha256?: string;
  priority: number;
  bandwidthLimitBps: number | null;
  onFileFailure: 'keep' | 'rollback';
}

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

export function validateEnqueueRequest(request: EnqueueRequest): ValidatedEnqueueRequest {
  if (typeof request !== 'object' || request === null) throw invalid('Send a download request with a url');
  const url = typeof request.url === 'string' ? request.url.trim() : '';
  if (url === '') {
    throw new ModeldockError('INVALID_URL', 'Paste a link to download, such as https://huggingface.co/org/model/resolve/main/model.safetensors');
  }
  if (url.length > MAX_URL_LENGTH) throw new ModeldockError('INVALID_URL', `The link is longer than ${MAX_URL_LENGTH} characters`);

  const priority = request.priority ?? 0;
  if (!Number.isSafeInteger(priority) || priority < 0) {
    throw invalid(`priority must be a whole number of 0 or more (got ${String(request.priority)})`);
  }

  let sha256: string | undefined;
  if (request.sha256 !== undefined && request.sha256 !== null && request.sha256 !== '') {
    sha256 = String(request.sha256).trim().toLowerCase();
    if (!SHA256_HEX.test(sha256)) throw invalid('sha256 must be 64 hexadecimal characters (the file\'s SHA-256 as published)');
  }

  const folder = normaliseFolder(request.folder);

  let filename: string | undefined;
  if (request.filename !== undefined && request.filename !== null && request.filename.trim() !== '') {
    const safe = sanitizeFileName(request.filename);
    if (!safe) throw invalid(`"${request.filename.slice(0, 100)}" cannot be used as a file name`);
    filename = safe;
  }

  const bandwidthLimitBps = request.bandwidthLimitBps ?? null;
  if (bandwidthLimitBps !== null && (!Number.isSafeInteger(bandwidthLimitBps) || bandwidthLimitBps <= 0)) {
    throw invalid('bandwidthLimitBps must be a whole number of bytes per second above 0, or null for no limit');
  }

  const onFileFailure = request.onFileFailure ?? 'keep';
  if (onFileFailure !== 'keep' && onFileFailure !== 'rollback') {
    throw invalid('onFileFailure must be "keep" or "rollback"');
  }

  // Source-specific fields (revision, include, civitaiFile, layout…) pass through: their resolver checks them.
  const { filename: _rawFilename, sha256: _rawSha256, ...sourceFields } = request;
  const validated: ValidatedEnqueueRequest = { ...sourceFields, url, folder, priority, bandwidthLimitBps, onFileFailure };
  if (filename !== undefined) validated.filename = filename;
  if (sha256 !== undefined) validated.sha256 = sha256;
  return validated;
}

/** A bandwidth limit set after enqueue, validated the same way. */
export function validateBandwidthLimit(bytesPerSecond: number | null): number | null {
  if (bytesPerSecond === null) return null;
  if (!Number.isSafeInteger(bytesPerSecond) || bytesPerSecond <= 0) {
    throw invalid('The bandwidth limit must be a whole number of bytes per second above 0, or null for no limit');
  }
  return bytesPerSecond;
}

export function validatePriority(priority: number): number {
  if (!Number.isSafeInteger(priority) || priority < 0) {
    throw invalid(`priority must be a whole number of 0 or more (got ${String(priority)})`);
  }
  return priority;
}
