/**
 * The resolver chain and the preview the server's `sources.resolve` query returns: which resolver
 * takes an input (presets, then Hugging Face, then Civitai, then the job layer's direct-URL
 * resolver), and what a download would fetch — files, sizes, hashes, destinations, access, and what
 * is already on disk — without writing or starting anything.
 */
import type { EnqueueRequest } from '../download-request';
import type { AccessProblem, ListedSourceFile, ResolveContext, ResolvedFile, SourceResolver } from './source-resolver';
import { ModeldockError } from '../errors';
import { absoluteDestination } from '../paths/confine-path';
import { unrecognisedInputError } from './accepted-inputs';
import { createCivitaiResolver } from './civitai/civitai-resolver';
import type { CivitaiResolverOptions } from './civitai/civitai-resolver';
import { createHuggingFaceResolver } from './huggingface/huggingface-resolver';
import type { HuggingFaceResolverOptions } from './huggingface/huggingface-resolver';
import type { HubRetryPolicy } from './hub-retry';
import { createPresetResolver } from './presets/preset-resolver';
import { createBundleResolver } from './bundle/bundle-resolver';
import { directUrlResolver } from './direct-url';

export interface HubResolverOptions {
  /** MODELDOCK_HF_ENDPOINT. */
  huggingFaceEndpoint?: string;
  /** MODELDOCK_CIVITAI_ENDPOINT. */
  civitaiEndpoint?: string;
  requestTimeoutMs?: number;
  retry?: Partial<HubRetryPolicy>;
}

/**
 * The bundle, preset, Hugging Face and Civitai resolvers, in the order they must be asked. The job layer
 * puts its direct-URL resolver after them: it takes any http(s) link, hub links included.
 */
export function createHubResolvers(options: HubResolverOptions = {}): SourceResolver[] {
  const shared = { requestTimeoutMs: options.requestTimeoutMs, retry: options.retry };
  const huggingFace = createHuggingFaceResolver({ ...shared, endpoint: options.huggingFaceEndpoint } satisfies HuggingFaceResolverOptions);
  const civitai = createCivitaiResolver({ ...shared, endpoint: options.civitaiEndpoint } satisfies CivitaiResolverOptions);
  const hubs = [createPresetResolver(huggingFace), huggingFace, civitai];
  // A bundle's items are each resolved by one of these (or as a direct link).
  return [createBundleResolver([...hubs, directUrlResolver]), ...hubs];
}

/** The first resolver that accepts the input, or UNRECOGNISED_INPUT listing what is accepted. */
export function pickResolver(input: string, resolvers: readonly SourceResolver[]): SourceResolver {
  if (typeof input !== 'string' || input.trim() === '') throw unrecognisedInputError('');
  const resolver = resolvers.find((candidate) => candidate.accepts(input));
  if (!resolver) throw unrecognisedInputError(input);
  return resolver;
}

export interface SourcePreviewFile extends ResolvedFile {
  /** A file already at the destination (it may be this very file, or something the user put there). */
  existing: { size: number } | null;
}

export interface SourcePreview {
  kind: string;
  source: string;
  files: SourcePreviewFile[];
  /** Sum of exact sizes, or null when one is unknown. */
  totalBytes: number | null;
  /** Sum of exact or estimated sizes, or null when one is unknown. */
  estimatedTotalBytes: number | null;
  warnings: string[];
  listing: ListedSourceFile[] | null;
  choiceRequired: string | null;
  accessProblem: AccessProblem | null;
}

function sum(values: Array<number | null | undefined>): number | null {
  let total = 0;
  for (const value of values) {
    if (value === null || value === undefined) return null;
    total += value;
  }
  return total;
}

/** Resolves without starting anything: what `sources.resolve` shows before the user confirms. */
export async function resolveSource(
  request: EnqueueRequest,
  resolvers: readonly SourceResolver[],
  context: ResolveContext,
): Promise<SourcePreview> {
  if (!request || typeof request.url !== 'string') {
    throw new ModeldockError('INVALID_INPUT', 'Paste a link, a repository id or a preset to download');
  }
  const resolver = pickResolver(request.url, resolvers);
  const resolved = await resolver.resolve(request, { ...context, purpose: 'preview' });
  const files: SourcePreviewFile[] = [];
  for (const file of resolved.files) {
    const stat = await context.fs.stat(absoluteDestination(context.modelsRoot, file.relativePath));
    files.push({ ...file, existing: stat?.isFile ? { size: stat.size } : null });
  }
  return {
    kind: resolved.kind,
    source: resolved.source,
    files,
    totalBytes: sum(files.map((file) => file.bytesTotal)),
    estimatedTotalBytes: sum(files.map((file) => file.bytesTotal ?? file.estimatedBytes)),
    warnings: resolved.warnings ?? [],
    listing: resolved.listing ?? null,
    choiceRequired: resolved.choiceRequired ?? null,
    accessProblem: resolved.accessProblem ?? null,
  };
}
