/**
 * What scheduled maintenance keeps in the database (packages/db implements both stores): the last
 * run of each kind, claimed atomically so that of all the processes sharing one database exactly one
 * starts a due run, and the refresh failures per library entry that let recovery skip a model that
 * keeps failing the same way.
 */
import type { MaintenanceKind } from '../settings/app-settings';

/** Library counts taken before and after a run, to tell what the run changed. */
export interface MaintenanceCounts {
  /** Present entries with an update available. */
  updatesAvailable: number;
  /** Present entries without a preview image. */
  noPreview: number;
  /** Present entries with partial or minimal metadata. */
  incomplete: number;
  /** Entries seen before whose file is gone. */
  missing: number;
}

/** What one finished maintenance run did (the `maintenance.report` notification carries it). */
export interface MaintenanceReport {
  kind: MaintenanceKind;
  taskId: string;
  status: 'completed' | 'failed' | 'cancelled';
  /** True when the user asked for it (it then includes models skipped after repeated failures). */
  userInitiated: boolean;
  startedAt: string;
  finishedAt: string;
  /** Models with a newer version known after the run. */
  updatesFound: number;
  previewsRecovered: number;
  metadataRecovered: number;
  /** Models whose file is missing from the models folder. */
  modelsMissing: number;
  /** Models missing now that were not when the run started. */
  newlyMissing: number;
  /** Models still incomplete after the run. */
  stillIncomplete: number;
  /** Per-item errors the run recorded. */
  errors: number;
  /** A one-line summary a person can read. */
  summary: string;
  /**
   * Worth a notification: the user asked for it, it did not complete, or it found something
   * (previews or metadata recovered, newly missing models, updates after an update check). A
   * scheduled scan that found nothing new stays quiet (it runs every 30 minutes).
   */
  notable: boolean;
}

export interface MaintenanceRunRecord {
  kind: MaintenanceKind;
  /** When the schedule first knew this kind: before any run, the first is due an interval after it. */
  since: Date;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  /** The refresh task the last run queued. */
  taskId: string | null;
  userInitiated: boolean;
  /** Counts when the last run started. */
  baseline: MaintenanceCounts | null;
  lastReport: MaintenanceReport | null;
}

export interface MaintenanceRunStore {
  list(): Promise<MaintenanceRunRecord[]>;
  /** Adds the kinds not stored yet, with `since` = now (kinds already there are left alone). */
  ensure(kinds: readonly MaintenanceKind[], now: Date): Promise<void>;
  /**
   * Records a start of `kind` at `now` if its last start (or, before any, its `since`) was at or
   * before `dueBefore`:
   * one atomic statement, so of several processes at most one wins. True when this caller won.
   */
  claim(kind: MaintenanceKind, dueBefore: Date, now: Date, run: { userInitiated: boolean; baseline: MaintenanceCounts }): Promise<boolean>;
  /** The refresh task the claimed run queued. */
  setTask(kind: MaintenanceKind, taskId: string, now: Date): Promise<void>;
  /**
   * Records the end of the run whose task is `taskId`, once (atomically): true for the one caller
   * that recorded it, false when it was already recorded or another run has started since.
   */
  finish(kind: MaintenanceKind, taskId: string, report: MaintenanceReport, now: Date): Promise<boolean>;
}

export interface RefreshFailure {
  code: string;
  /** Times in a row the entry failed with this code. */
  count: number;
}

export interface RefreshFailureStore {
  get(entryIds: string[]): Promise<Map<string, RefreshFailure>>;
  /** Counts one more failure per entry: +1 when the code is the same as last time, else 1. */
  record(failures: Array<{ entryId: string; code: string }>, now: Date): Promise<void>;
  /** The entries refreshed without an error: their count starts again. */
  clear(entryIds: string[]): Promise<void>;
}
