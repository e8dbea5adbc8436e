/**
 * The collection domain's face: `export` (the manifest of the library) and `import` (a dry-run plan,
 * or the plan and one bundle job fetching every missing file to its manifest path, verified against
 * the manifest's SHA-256). Bad manifests are refused before anything is looked up.
 */
import { bundleInput } from '../sources/bundle/bundle-resolver';
import type { CollectionPorts } from './collection-ports';
import { exportManifest } from './export-manifest';
import { planImport } from './import-plan';
import type { ImportPlan } from './import-plan';
import { parseManifest } from './manifest-parse';
import type { CollectionManifest } from './manifest-schema';

export interface ImportResult extends ImportPlan {
  /** The bundle job fetching the missing files; null on a dry run or when nothing can be fetched. */
  jobId: string | null;
}

export interface Collection {
  export(options?: { includeMetadata?: boolean }): Promise<CollectionManifest>;
  import(request: { manifest: unknown; dryRun?: boolean }): Promise<ImportResult>;
}

export function createCollection(ports: CollectionPorts): Collection {
  return {
    export: (options) => exportManifest(ports, options ?? {}),
    async import(request) {
      const manifest = parseManifest(request.manifest);
      const { plan, items } = await planImport(ports, manifest);
      if (request.dryRun === true) {
        return { ...plan, jobId: null };
      }
      if (items.size === 0) return { ...plan, jobId: null };
      const { jobId } = await ports.enqueue({
        url: bundleInput('import'),
        bundle: [...items.values()],
      });
      ports.logger.info(
        { jobId, files: items.size, unresolved: plan.unresolved.length },
        'importing a collection manifest',
      );
      return { ...plan, jobId };
    },
  };
}
