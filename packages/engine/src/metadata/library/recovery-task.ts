/**
 * The `recovery` refresh task: scheduled maintenance of incomplete entries (metadata and preview).
 * Unlike "Fix all" it goes in priority order — models added or downloaded recently first, then those
 * missing the most fields — and, when it runs at low priority (the schedule), skips a model that
 * failed the same way SKIP_AFTER_FAILURES times in a row; a run the user asks for includes it.
 * Resumed after a restart, it leaves out the entries it already did (its checkpoint lists them).
 */
import type { Clock } from '../../ports';
import type { LibraryRow } from '../../library/library-store';
import type { RefreshFailureStore } from '../../maintenance/maintenance-store';
import type { TaskHandler } from '../../tasks/refresh/refresh-task-worker';
import { refreshMetadata } from '../refresh/metadata-refresh';
import type { StoredModelMetadata } from '../refresh/stored-metadata';
import { CHECKPOINT_EVERY, describable, describeWait, LIBRARY_PAGE, needsWork, targetOf } from './metadata-tasks';
import type { MetadataTaskContext } from './metadata-tasks';

export const RECOVERY_TASK_KIND = 'recovery';
export const SKIP_AFTER_FAILURES = 3;
/** The item error a scheduled run records for each model it skipped. */
export const SKIPPED_CODE = 'SKIPPED_REPEATED_FAILURE';
/** Added within this long counts as recent. */
export const RECENT_MS = 7 * 24 * 3_600_000;
/** An entry never described counts as missing this many fields (more than any described one). */
const UNDESCRIBED_MISSING = 1_000;

export interface RecoveryCandidate {
  row: LibraryRow;
  stored: StoredModelMetadata | undefined;
}

function missingFields(stored: StoredModelMetadata | undefined): number {
  const metadata = stored?.metadata;
  if (!metadata) return UNDESCRIBED_MISSING;
  return metadata.missing.length + (stored.preview?.kind === 'image' ? 0 : 1);
}

/** Recent first (newest first), then most missing fields, then path order. */
export function prioritiseRecovery(candidates: RecoveryCandidate[], now: number): RecoveryCandidate[] {
  const recentSince = now - RECENT_MS;
  const recency = (candidate: RecoveryCandidate) => candidate.row.addedAt.getTime();
  return [...candidates].sort((a, b) => {
    const aRecent = recency(a) >= recentSince;
    const bRecent = recency(b) >= recentSince;
    if (aRecent !== bRecent) return aRecent ? -1 : 1;
    if (aRecent && recency(a) !== recency(b)) return recency(b) - recency(a);
    const missing = missingFields(b.stored) - missingFields(a.stored);
    if (missing !== 0) return missing;
    return a.row.relativePath < b.row.relativePath ? -1 : a.row.relativePath > b.row.relativePath ? 1 : 0;
  });
}

async function incompleteEntries(ctx: MetadataTaskContext): Promise<RecoveryCandidate[]> {
  const found: RecoveryCandidate[] = [];
  for (let after: string | null = null; ; ) {
    const page = await ctx.library.page(after, LIBRARY_PAGE);
    const rows = page.filter(describable);
    const stored = await ctx.store.get(rows.map((row) => row.id));
    for (const row of rows) if (needsWork('full', row, stored.get(row.id))) found.push({ row, stored: stored.get(row.id) });
    if (page.length < LIBRARY_PAGE) break;
    after = page[page.length - 1]!.relativePath;
  }
  return found;
}

export function recoveryTaskHandler(ctx: MetadataTaskContext, failures: RefreshFailureStore, clock: Clock): TaskHandler {
  return async (run) => {
    const doneIds = new Set(Array.isArray(run.task.checkpoint?.doneIds) ? (run.task.checkpoint.doneIds as unknown[]).filter((id): id is string => typeof id === 'string') : []);
    const scheduled = run.task.priority === 'low';
    let candidates = (await incompleteEntries(ctx)).filter((candidate) => !doneIds.has(candidate.row.id));
    if (scheduled) {
      const failed = await failures.get(candidates.map((candidate) => candidate.row.id));
      candidates = candidates.filter((candidate) => {
        const failure = failed.get(candidate.row.id);
        if (!failure || failure.count < SKIP_AFTER_FAILURES) return true;
        // Listed with the task, so the user sees what was left out and why.
        run.itemError({
          target: candidate.row.relativePath,
          code: SKIPPED_CODE,
          message: `Skipped: failed ${failure.count} times in a row (${failure.code}). Run recovery yourself to include it.`,
        });
        return false;
      });
    }
    const ordered = prioritiseRecovery(candidates, clock.now()).map((candidate) => targetOf(candidate.row));
    let done = doneIds.size;
    run.progress({ done, total: done + ordered.length, current: null });
    for (let start = 0; start < ordered.length; start += CHECKPOINT_EVERY) {
      const chunk = ordered.slice(start, start + CHECKPOINT_EVERY);
      const idOfPath = new Map(chunk.map((target) => [target.relativePath, target.id]));
      const failedHere = new Map<string, string>();
      await refreshMetadata({ ...ctx.refresh, store: ctx.store }, chunk, {
        kind: 'full',
        recheckNotFound: false,
        signal: run.signal,
        onItemDone: (target) => run.progress({ done: ++done, current: target.relativePath }),
        onItemError: (error) => {
          run.itemError(error);
          const id = idOfPath.get(error.target);
          if (id !== undefined && !failedHere.has(id)) failedHere.set(id, error.code);
        },
        onWait: (wait) => run.progress({ current: describeWait(wait) }),
      });
      const now = new Date(clock.now());
      await failures.record([...failedHere].map(([entryId, code]) => ({ entryId, code })), now);
      await failures.clear(chunk.map((target) => target.id).filter((id) => !failedHere.has(id)));
      for (const target of chunk) doneIds.add(target.id);
      run.checkpoint({ doneIds: [...doneIds] });
      ctx.onChanged(chunk.map((target) => target.id));
    }
    run.progress({ current: null });
  };
}
