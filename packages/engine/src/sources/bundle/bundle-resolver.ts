/**
 * `bundle:<label>` with `request.bundle` → one multi-file job (kind 'bundle') whose files come from
 * several sources (a collection import, a workflow's missing models). Each item is resolved by the
 * resolver that takes its input (Hugging Face, Civitai, else a direct link) with its own folder,
 * file name and expected SHA-256, so each file lands exactly where the caller asked and is verified.
 */
import type { BundleItem, EnqueueRequest } from '../../download-request';
import { ModeldockError } from '../../errors';
import { directUrlResolver } from '../direct-url';
import type {
  ResolveContext,
  ResolvedFile,
  ResolvedSource,
  SourceResolver,
} from '../source-resolver';

const BUNDLE_INPUT = /^bundle:([a-z0-9][a-z0-9 ._-]{0,80})$/i;
export const MAX_BUNDLE_ITEMS = 1000;

export function bundleInput(label: string): string {
  return `bundle:${label}`;
}

/** The request that resolves one item on its own (also what a preview of that item asks). */
export function itemRequest(item: BundleItem): EnqueueRequest {
  return {
    url: item.input,
    folder: item.folder,
    ...(item.filename ? { filename: item.filename } : {}),
    ...(item.sha256 ? { sha256: item.sha256 } : {}),
    ...(item.civitaiFile ? { civitaiFile: item.civitaiFile } : {}),
    ...(item.layout ? { layout: item.layout } : {}),
  };
}

export function createBundleResolver(resolvers: readonly SourceResolver[]): SourceResolver {
  async function resolve(
    request: EnqueueRequest,
    context: ResolveContext,
  ): Promise<ResolvedSource> {
    const label = BUNDLE_INPUT.exec(request.url.trim())?.[1] ?? 'bundle';
    const items = request.bundle;
    if (!Array.isArray(items) || items.length === 0) {
      throw new ModeldockError(
        'INVALID_INPUT',
        'A bundle download needs the list of files it fetches',
      );
    }
    if (items.length > MAX_BUNDLE_ITEMS) {
      throw new ModeldockError(
        'INVALID_INPUT',
        `A bundle fetches at most ${MAX_BUNDLE_ITEMS} files`,
      );
    }
    const files: ResolvedFile[] = [];
    const warnings: string[] = [];
    // One after the other: the hubs' rate limits are per caller, and a bundle is created once.
    for (const item of items) {
      const resolver =
        resolvers.find((candidate) => candidate.accepts(item.input)) ?? directUrlResolver;
      const resolved = await resolver.resolve(itemRequest(item), context);
      if (resolved.files.length !== 1) {
        throw new ModeldockError(
          'INVALID_INPUT',
          `"${item.input.slice(0, 200)}" names ${resolved.files.length} files; a bundle item must be one file`,
        );
      }
      const file = resolved.files[0]!;
      files.push(
        item.sha256 && !file.expectedSha256 ? { ...file, expectedSha256: item.sha256 } : file,
      );
      warnings.push(...(resolved.warnings ?? []));
    }
    return {
      kind: 'bundle',
      source: `bundle:${label}`,
      files,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  return {
    kind: 'bundle',
    accepts: (input: string) => BUNDLE_INPUT.test(input.trim()),
    resolve,
  };
}
