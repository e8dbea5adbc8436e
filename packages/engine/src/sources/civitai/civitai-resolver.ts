/**
 * Civitai: turns a model page, a download link, an AIR or `civitai:…` (civitai-input.ts) into one
 * file, with its expected sha256 (`hashes.SHA256`, lowercased), its name from the API (sanitised)
 * and its ComfyUI folder from the model and file types (placement/folder-table.ts); a type no folder
 * is meant for (Poses, Wildcards, Other) asks for a folder (FOLDER_REQUIRED at enqueue).
 *
 * Optional EnqueueRequest fields: `civitaiFile` { type, format, size, fp, quantType, fileId } to
 * pick a file other than the primary one (a download link's own parameters count the same; a
 * conflict between the two is AMBIGUOUS_INPUT), `folder`, `filename`, `sha256`.
 *
 * The file's URL is `{endpoint}/api/download/models/{versionId}?…` with credential 'civitai': the key
 * is sent as `Authorization: Bearer` to the endpoint only, never put in a URL. Access is checked
 * before any byte (civitai-download-access.ts), so a missing key, early access, an archived model
 * or a rate limit is reported when the job is created rather than after it starts.
 */
import type { EnqueueRequest, CivitaiFileChoice } from '../../download-request';
import type { ResolveContext, ResolvedSource, SourceResolver } from '../source-resolver';
import { ModeldockError } from '../../errors';
import { redactSecrets, registerSecret } from '../../secrets/redact';
import { normaliseFolder, relativeDestination } from '../../paths/confine-path';
import { sanitizeFileName } from '../../paths/sanitize-file-name';
import { chosenFolder, civitaiFolderDecision } from '../../placement/choose-folder';
import { placementOf } from '../file-placement';
import { cleanServerText } from '../hub-http';
import type { HubHttp } from '../hub-http';
import { DEFAULT_HUB_RETRY, withHubRetries } from '../hub-retry';
import type { HubRetryPolicy } from '../hub-retry';
import { pickleWarning } from '../pickle-warning';
import { normaliseEndpoint } from '../huggingface/hf-urls';
import { fetchCivitaiAccount, fetchCivitaiModel, fetchCivitaiVersion } from './civitai-api';
import type { CivitaiApiRequest, CivitaiFile, CivitaiVersion } from './civitai-api';
import { checkCivitaiDownloadAccess } from './civitai-download-access';
import type { CivitaiErrorSubject } from './civitai-errors';
import { chooseCivitaiFile, civitaiDownloadUrl } from './civitai-file-choice';
import { civitaiSourceLabel, looksLikeCivitai, parseCivitaiInput } from './civitai-input';

export const DEFAULT_CIVITAI_ENDPOINT = 'https://civitai.com';

export interface CivitaiResolverOptions {
  /** MODELDOCK_CIVITAI_ENDPOINT; default https://civitai.com. */
  endpoint?: string;
  requestTimeoutMs?: number;
  /** Retries after 429 (Civitai sends no Retry-After: 1 s doubling to 30 s), 5xx and network failures. */
  retry?: Partial<HubRetryPolicy>;
}

const CHOICE_KEYS = ['type', 'format', 'size', 'fp', 'quantType', 'fileId'] as const;

function mergeChoice(
  fromInput: CivitaiFileChoice,
  fromRequest: CivitaiFileChoice | undefined,
): CivitaiFileChoice {
  if (
    fromRequest !== undefined &&
    (typeof fromRequest !== 'object' || fromRequest === null || Array.isArray(fromRequest))
  ) {
    throw new ModeldockError(
      'INVALID_INPUT',
      'civitaiFile must be an object such as { "format": "SafeTensor", "fp": "fp16" }',
    );
  }
  const merged: CivitaiFileChoice = { ...fromInput };
  for (const key of CHOICE_KEYS) {
    const value = fromRequest?.[key];
    if (value === undefined || value === null) continue;
    const existing = fromInput[key];
    if (existing !== undefined && String(existing).toLowerCase() !== String(value).toLowerCase()) {
      throw new ModeldockError(
        'AMBIGUOUS_INPUT',
        `The link asks for ${key}=${existing} but civitaiFile.${key} is ${value}: keep only one`,
      );
    }
    (merged as Record<string, unknown>)[key] = value;
  }
  if (merged.fileId !== undefined && (!Number.isSafeInteger(merged.fileId) || merged.fileId < 1)) {
    throw new ModeldockError('INVALID_INPUT', 'civitaiFile.fileId must be a positive whole number');
  }
  return merged;
}

/** sizeKB is bytes / 1024 as a float: exact when it multiplies back to a whole number. */
function sizesOf(file: CivitaiFile): { bytesTotal: number | null; estimatedBytes: number | null } {
  if (file.sizeKB === null) return { bytesTotal: null, estimatedBytes: null };
  const bytes = file.sizeKB * 1024;
  const rounded = Math.round(bytes);
  return Math.abs(bytes - rounded) < 1e-6
    ? { bytesTotal: rounded, estimatedBytes: rounded }
    : { bytesTotal: null, estimatedBytes: rounded };
}

function sha256Of(file: CivitaiFile): string | null {
  const entry = Object.entries(file.hashes).find(([type]) => type.toLowerCase() === 'sha256');
  const value = entry?.[1].trim().toLowerCase();
  return value && /^[0-9a-f]{64}$/.test(value) ? value : null;
}

/** Warnings are stored with the job: built from the sanitised name and cleaned server text only. */
function warningsFor(file: CivitaiFile, name: string): string[] {
  const warnings: string[] = [];
  const pickle = pickleWarning(name, (file.metadata.format ?? '').toLowerCase() === 'pickletensor');
  if (pickle) warnings.push(pickle);
  const virusScan = cleanServerText(file.virusScanResult, 100);
  if (virusScan && !/^success$/i.test(virusScan)) {
    warnings.push(`Civitai's virus scan of ${name} reports "${virusScan}"`);
  }
  const pickleScan = cleanServerText(file.pickleScanResult, 100);
  if (pickleScan && !/^success$/i.test(pickleScan)) {
    warnings.push(`Civitai's pickle scan of ${name} reports "${pickleScan}"`);
  }
  return warnings;
}

function fallbackName(version: CivitaiVersion, file: CivitaiFile): string {
  const format = (file.metadata.format ?? '').toLowerCase();
  const extension =
    format === 'safetensor'
      ? '.safetensors'
      : format === 'gguf'
        ? '.gguf'
        : format === 'pickletensor'
          ? '.ckpt'
          : '.bin';
  return `civitai-${version.id}-${file.id}${extension}`;
}

export function createCivitaiResolver(options: CivitaiResolverOptions = {}): SourceResolver {
  const endpoint = normaliseEndpoint(options.endpoint, DEFAULT_CIVITAI_ENDPOINT);
  const endpointOrigin = new URL(endpoint).origin;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const retryPolicy: HubRetryPolicy = { ...DEFAULT_HUB_RETRY, ...options.retry };

  /** Everything about a request that needs no network; throws what resolve would for bad input. */
  function checkRequest(request: EnqueueRequest) {
    const target = parseCivitaiInput(request.url, endpoint);
    const choice = mergeChoice(target.fileChoice, request.civitaiFile);
    if (request.layout === 'hf-cache') {
      throw new ModeldockError(
        'INVALID_INPUT',
        'The Hugging Face cache layout only applies to Hugging Face downloads',
      );
    }
    // Checked before any request: bad input changes nothing and costs no round trip.
    normaliseFolder(request.folder);
    return { target, choice };
  }

  async function resolve(
    request: EnqueueRequest,
    context: ResolveContext,
  ): Promise<ResolvedSource> {
    const { target, choice } = checkRequest(request);
    const key = (await context.credentials('civitai'))?.trim() || null;
    registerSecret(key);
    const hub: HubHttp = { http: context.http, logger: context.logger };
    const retry = <T>(label: string, work: () => Promise<T>) =>
      withHubRetries(
        label,
        retryPolicy,
        { clock: context.clock, logger: context.logger, signal: context.signal },
        work,
      );
    const api: CivitaiApiRequest = {
      endpoint,
      endpointOrigin,
      token: key,
      timeoutMs,
      signal: context.signal,
      nowMs: context.clock.now(),
    };

    let version: CivitaiVersion;
    let modelType: string | null;
    let modelMode: string | null;
    if (target.versionId !== null) {
      version = await retry('civitai version', () =>
        fetchCivitaiVersion(hub, target.versionId!, api),
      );
      if (
        target.modelId !== null &&
        version.modelId !== null &&
        version.modelId !== target.modelId
      ) {
        throw new ModeldockError(
          'INVALID_INPUT',
          `Civitai model version ${version.id} belongs to model ${version.modelId}, not to model ${target.modelId}: check the link`,
        );
      }
      modelType = version.model?.type ?? null;
      modelMode = version.model?.mode ?? null;
    } else {
      const model = await retry('civitai model', () =>
        fetchCivitaiModel(hub, target.modelId!, api),
      );
      const latest = model.versions[0];
      if (!latest) {
        throw new ModeldockError(
          'REMOTE_NOT_FOUND',
          `Civitai model ${model.id} has no published version to download`,
        );
      }
      version = latest;
      modelType = model.type;
      modelMode = model.mode;
    }
    const subject: CivitaiErrorSubject = {
      endpoint,
      modelId: version.modelId ?? target.modelId,
      versionId: version.id,
      nowMs: context.clock.now(),
    };
    if ((modelMode ?? '').toLowerCase() === 'archived') {
      throw new ModeldockError(
        'ARCHIVED',
        `This Civitai model version ${version.id} is archived and can no longer be downloaded`,
      );
    }
    if (version.files.length === 0) {
      throw new ModeldockError(
        'REMOTE_NOT_FOUND',
        `Civitai model version ${version.id} has no files to download`,
      );
    }

    const file = chooseCivitaiFile(version, choice);
    const url = civitaiDownloadUrl(endpoint, version, file);
    await retry('civitai download check', () =>
      checkCivitaiDownloadAccess(hub, {
        url,
        endpointOrigin,
        token: key,
        timeoutMs,
        signal: context.signal,
        subject,
        isKeyValid: async () => (await fetchCivitaiAccount(hub, api)) !== null,
      }),
    );

    const published = sha256Of(file);
    const userSha256 = request.sha256?.trim().toLowerCase();
    if (userSha256 !== undefined && !/^[0-9a-f]{64}$/.test(userSha256)) {
      throw new ModeldockError('INVALID_INPUT', 'sha256 must be 64 hexadecimal characters');
    }
    if (userSha256 && published && userSha256 !== published) {
      throw new ModeldockError(
        'INVALID_INPUT',
        `The sha256 you gave does not match the one Civitai publishes for ${cleanServerText(file.name, 200) ?? 'the file'} (${published}): check it, or leave it empty`,
      );
    }
    const name = sanitizeFileName(request.filename ?? file.name) ?? fallbackName(version, file);
    const decision = civitaiFolderDecision(modelType, file.type, file.metadata.format, name);
    const userFolder = chosenFolder(request.folder);
    const placement = placementOf(
      userFolder ? { ...decision, folder: userFolder, basis: 'user' } : decision,
    );
    const relativePath = relativeDestination(userFolder ?? decision.folder ?? '', name);
    const { bytesTotal, estimatedBytes } = sizesOf(file);
    const warnings = warningsFor(file, sanitizeFileName(file.name) ?? fallbackName(version, file));
    return {
      kind: 'civitai',
      source: redactSecrets(civitaiSourceLabel(request.url)),
      files: [
        {
          url,
          name: relativePath.slice(relativePath.lastIndexOf('/') + 1),
          relativePath,
          bytesTotal,
          estimatedBytes,
          expectedSha256: published ?? userSha256 ?? null,
          credential: 'civitai',
          revision: null,
          access: 'ok',
          placement,
        },
      ],
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  return {
    kind: 'civitai',
    accepts: (input: string) => looksLikeCivitai(input, endpoint),
    checkInput: (request: EnqueueRequest) => void checkRequest(request),
    resolve,
  };
}
