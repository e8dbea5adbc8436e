/**
 * The metadata domain's refresh tasks: `metadata`, `preview`, `full` and `update-check` (network,
 * through the paced hubs) and `sidecars` (after a scan, no network: what other tools wrote beside
 * entries never described). Each resolves its targets when it runs, in path order, refreshes them
 * in chunks and checkpoints the last path done, so a task resumed after a restart goes on from there.
 */
import type { LibraryRow, LibraryStore } from '../../library/library-store';
import { libraryPathFacts } from '../../library/library-entry';
import type { TaskHandler, TaskRunContext } from '../../tasks/refresh/refresh-task-worker';
import type { TaskTargets } from '../../tasks/refresh/refresh-task';
import type { PacerWait } from '../hubs/platform-pacer';
import { refreshMetadata } from '../refresh/metadata-refresh';
import type { MetadataRefreshContext } from '../refresh/metadata-refresh';
import type { MetadataTarget, MetadataTaskKind } from '../refresh/refresh-target';
import type { StoredModelMetadata } from '../refresh/stored-metadata';
import type { LibraryMetadataStore } from './library-metadata-store';

/** Reads sidecars of entries never described, after a scan: no network. */
export const SIDECARS_TASK_KIND = 'sidecars';
export type MetadataLibraryTaskKind = MetadataTaskKind | typeof SIDECARS_TASK_KIND;

/** Entries refreshed between two checkpoints (several Civitai batches of 100, pipelined). */
export const CHECKPOINT_EVERY = 500;
export const LIBRARY_PAGE = 1000;
const PAGE = LIBRARY_PAGE;

export interface MetadataTaskContext {
  refresh: Omit<MetadataRefreshContext, 'store'>;
  library: Pick<LibraryStore, 'page' | 'getMany'>;
  store: LibraryMetadataStore;
  /** Entries whose metadata changed (the library tells its listeners). */
  onChanged(ids: string[]): void;
}

export function targetOf(row: LibraryRow): MetadataTarget {
  return { id: row.id, relativePath: row.relativePath, sizeBytes: row.sizeBytes, sha256: row.sha256, source: row.source };
}

/** Whether a task of this kind still has work on the entry (scope 'incomplete', and after a scan). */
export function needsWork(kind: MetadataLibraryTaskKind, row: LibraryRow, stored: StoredModelMetadata | undefined): boolean {
  const changed = !stored || stored.sha256 !== row.sha256;
  if (kind === SIDECARS_TASK_KIND) return changed || !stored.metadata;
  const describe = changed || stored.metadata?.completeness !== 'complete';
  const preview = changed || stored.preview?.kind !== 'image';
  if (kind === 'metadata') return describe;
  if (kind === 'preview') return preview;
  if (kind === 'update-check') return changed || !stored.update || stored.update.status === 'unknown' || stored.update.status === 'error';
  return describe || preview;
}

export function describable(row: LibraryRow): boolean {
  return row.status === 'present' && row.sha256 !== null && libraryPathFacts(row.relativePath).listed;
}

/** The task's targets in path order, after `afterPath` when it resumes. */
export async function resolveTargets(
  ctx: MetadataTaskContext,
  kind: MetadataLibraryTaskKind,
  targets: TaskTargets,
  afterPath: string | null,
): Promise<{ targets: MetadataTarget[]; before: number }> {
  let rows: LibraryRow[] = [];
  if (targets.scope === 'entries') {
    rows = (await ctx.library.getMany(targets.ids)).filter(describable).sort((a, b) => (a.relativePath < b.relativePath ? -1 : 1));
  } else {
    for (let after: string | null = null; ; ) {
      const page = await ctx.library.page(after, PAGE);
      let found = page.filter(describable);
      if (targets.scope === 'incomplete' || kind === SIDECARS_TASK_KIND) {
        const stored = await ctx.store.get(found.map((row) => row.id));
        found = found.filter((row) => needsWork(kind, row, stored.get(row.id)));
      }
      rows.push(...found);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.relativePath;
    }
  }
  const remaining = afterPath === null ? rows : rows.filter((row) => row.relativePath > afterPath);
  return { targets: remaining.map(targetOf), before: rows.length - remaining.length };
}

export function describeWait(wait: PacerWait): string {
  const seconds = Math.max(1, Math.round(wait.delayMs / 1000));
  const platform = wait.platform === 'civitai' ? 'Civitai' : wait.platform === 'huggingface' ? 'Hugging Face' : wait.platform;
  const why = wait.reason === 'rate-limited' ? 'asks to slow down (429)' : 'is not answering well';
  return `Waiting: ${platform} ${why}; trying again in ${seconds} s`;
}

export function metadataTaskHandler(ctx: MetadataTaskContext, kind: MetadataLibraryTaskKind): TaskHandler {
  return async (run: TaskRunContext) => {
    const afterPath = typeof run.task.checkpoint?.afterPath === 'string' ? run.task.checkpoint.afterPath : null;
    const { targets, before } = await resolveTargets(ctx, kind, run.task.targets, afterPath);
    let done = before;
    run.progress({ done, total: before + targets.length, current: null });
    const offline = kind === SIDECARS_TASK_KIND;
    for (let start = 0; start < targets.length; start += CHECKPOINT_EVERY) {
      const chunk = targets.slice(start, start + CHECKPOINT_EVERY);
      await refreshMetadata({ ...ctx.refresh, store: ctx.store }, chunk, {
        kind: offline ? 'full' : kind,
        offline,
        // A user who asks about chosen models wants Civitai asked again, even about a file it did not know.
        recheckNotFound: run.task.targets.scope === 'entries',
        signal: run.signal,
        onItemDone: (target) => run.progress({ done: ++done, current: target.relativePath }),
        onItemError: (error) => run.itemError(error),
        onWait: (wait) => run.progress({ current: describeWait(wait) }),
      });
      run.checkpoint({ afterPath: chunk[chunk.length - 1]!.relativePath });
      ctx.onChanged(chunk.map((target) => target.id));
    }
    run.progress({ current: null });
  };
}
