/**
 * The database schema, shared by PGlite and PostgreSQL. drizzle-kit turns changes here into the
 * migrations in ../drizzle (`pnpm --filter @modeldock/db generate`); never edit those by hand.
 *
 * Byte counts are bigint read as JS numbers (exact up to 8 PiB); times are timestamptz; structured
 * values (errors, segments, validators, stalled state, warnings, summaries) are jsonb.
 */
import {
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type {
  CredentialKind,
  FileFormat,
  FileStatus,
  JobError,
  JobEventType,
  JobPhase,
  JobStatus,
  JobSummary,
  LibraryEntryError,
  LibraryEntryStatus,
  LibraryFormat,
  LibrarySource,
  MaintenanceCounts,
  MaintenanceReport,
  PendingRequest,
  RemoteValidator,
  Segment,
  StalledState,
  TaskItemError,
  TaskStatus,
  TaskTargets,
  CivitaiIdentity,
  Completeness,
  HuggingFaceIdentity,
  MetadataSourceKind,
  StoredModelMetadata,
  UpdateStatusKind,
  DeliveryStatus,
  DestinationKind,
  NotificationEvent,
  NotificationSubject,
} from '@modeldock/engine';

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const byteCount = (name: string) => bigint(name, { mode: 'number' });

/** Raw bytes. postgres.js hands back a Buffer and PGlite a Uint8Array: both leave as a Buffer. */
const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => Buffer.from(value),
});

export const jobs = pgTable(
  'jobs',
  {
    /** Time-ordered UUIDv7 (see ./time-ordered-id.ts). */
    id: text('id').primaryKey(),
    status: text('status').$type<JobStatus>().notNull(),
    source: text('source').notNull(),
    kind: text('kind').notNull(),
    priority: integer('priority').notNull().default(0),
    /** Arrival order from its own sequence; "move to top" writes a value below the smallest. */
    queueOrder: bigserial('queue_order', { mode: 'number' }).notNull(),
    error: jsonb('error').$type<JobError>(),
    stalled: jsonb('stalled').$type<StalledState>(),
    bandwidthLimitBps: byteCount('bandwidth_limit_bps'),
    speedBps: doublePrecision('speed_bps').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    onFileFailure: text('on_file_failure').$type<'keep' | 'rollback'>().notNull().default('keep'),
    warnings: jsonb('warnings').$type<string[]>().notNull().default([]),
    /** The worker (node name) that must run it; null = any. */
    node: text('node'),
    /** The job's first step while it has not run (resolving, verifying existing files); null after. */
    phase: jsonb('phase').$type<JobPhase>(),
    /** The enqueue request (link redacted) the first step resolves; null once resolved. */
    request: jsonb('request').$type<PendingRequest>(),
    /** Identifies the request so an identical enqueue attaches to this job while it is active. */
    requestKey: text('request_key'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamptz('lease_expires_at'),
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
    startedAt: timestamptz('started_at'),
    finishedAt: timestamptz('finished_at'),
  },
  (table) => [
    // claimNextJob: runnable jobs by priority, then arrival.
    index('jobs_claim_order_idx').on(table.status, table.priority.desc(), table.queueOrder),
    // listJobs: newest first, keyset-paginated on (created_at, id).
    index('jobs_created_idx').on(table.createdAt.desc(), table.id.desc()),
    index('jobs_finished_idx').on(table.status, table.finishedAt),
    index('jobs_request_key_idx').on(table.requestKey),
  ],
);

/**
 * Files of a job. Two active jobs must not write the same destination, but a unique index cannot
 * say "among files of active jobs" (the status lives on `jobs`, and finished jobs keep their rows),
 * so the rule is attach-or-reject at enqueue time through `findActiveJobByDestination`, served by
 * `job_files_relative_path_idx`.
 */
export const jobFiles = pgTable(
  'job_files',
  {
    id: text('id').primaryKey(),
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    index: integer('index').notNull(),
    url: text('url').notNull(),
    name: text('name').notNull(),
    relativePath: text('relative_path').notNull(),
    bytesDone: byteCount('bytes_done').notNull().default(0),
    bytesTotal: byteCount('bytes_total'),
    expectedSha256: text('expected_sha256'),
    sha256: text('sha256'),
    status: text('status').$type<FileStatus>().notNull(),
    validator: jsonb('validator').$type<RemoteValidator>(),
    segments: jsonb('segments').$type<Segment[]>(),
    credential: text('credential').$type<Exclude<CredentialKind, null>>(),
    format: text('format').$type<FileFormat>(),
    revision: text('revision'),
    error: jsonb('error').$type<JobError>(),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (table) => [
    uniqueIndex('job_files_job_index_idx').on(table.jobId, table.index),
    index('job_files_relative_path_idx').on(table.relativePath),
  ],
);

/**
 * Stored job events, replayed to clients that reconnect. Not tied to `jobs` by a cascading key, so
 * the 'removed' event of a deleted job stays readable.
 */
export const jobEvents = pgTable(
  'job_events',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    jobId: text('job_id').notNull(),
    type: text('type').$type<JobEventType>().notNull(),
    /** The job's summary when the event happened; null for 'removed'. */
    job: jsonb('job').$type<JobSummary>(),
    createdAt: timestamptz('created_at').notNull(),
  },
  (table) => [index('job_events_job_idx').on(table.jobId, table.id)],
);

/**
 * One API key per platform, encrypted by the server (AES-GCM): the database only ever holds the
 * ciphertext, its IV and auth tag, and the last four characters to show the user which key it is.
 */
export const apiKeys = pgTable('api_keys', {
  platform: text('platform').$type<Exclude<CredentialKind, null>>().primaryKey(),
  ciphertext: bytea('ciphertext').notNull(),
  iv: bytea('iv').notNull(),
  authTag: bytea('auth_tag').notNull(),
  last4: text('last4').notNull(),
  createdAt: timestamptz('created_at').notNull(),
  validatedAt: timestamptz('validated_at'),
  /** Null until the key has been checked against the platform. */
  valid: boolean('valid'),
  validationMessage: text('validation_message'),
});

/** User settings that outlive a restart (bandwidth limit, …), one JSON value per key. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedAt: timestamptz('updated_at').notNull(),
});

/**
 * What is known about a model file on disk: its hash (the local file index: a file already on disk is
 * found by SHA-256), where it came from, its metadata and preview, whether a newer version exists.
 */
export const modelMetadata = pgTable(
  'model_metadata',
  {
    id: text('id').primaryKey(),
    /** Relative to the models root, POSIX separators. */
    relativePath: text('relative_path').notNull(),
    sha256: text('sha256'),
    /** Size and modification time when `sha256` was computed: either differing means hash again. */
    sizeBytes: byteCount('size_bytes'),
    mtimeMs: doublePrecision('mtime_ms'),
    /** The job kind that wrote it ('huggingface', 'civitai', 'direct', 'bundle'), or null. */
    sourceKind: text('source_kind'),
    /** Hugging Face repo id or Civitai model id. */
    sourceModelId: text('source_model_id'),
    /** Hugging Face commit or Civitai model version id. */
    sourceVersionId: text('source_version_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    previewPath: text('preview_path'),
    /** 'unknown', 'current', 'update_available' or 'error'. */
    updateStatus: text('update_status').notNull().default('unknown'),
    latestVersionId: text('latest_version_id'),
    checkedAt: timestamptz('checked_at'),
    /** The library: 'present' on disk, or 'missing' (seen before, gone now; kept with its source). */
    status: text('status').$type<LibraryEntryStatus>().notNull().default('present'),
    /** First folder under the root, display name and format: derived from the path when it is written. */
    folder: text('folder').notNull().default(''),
    name: text('name').notNull().default(''),
    format: text('format').$type<LibraryFormat>().notNull().default('other'),
    /** False for a Hugging Face cache blob: indexed for reuse, listed through its snapshot files. */
    listed: boolean('listed').notNull().default(true),
    /** Decimal inode when hashed: with size and mtime, tells an unchanged or renamed file. */
    inode: text('inode'),
    /** Where the file came from (Hugging Face repo and commit, Civitai version, URL, or found on disk). */
    source: jsonb('source').$type<LibrarySource>(),
    /** The download job that wrote it. */
    jobId: text('job_id'),
    /** Why the file could not be read at the last scan ({ code, message }), else null. */
    scanError: jsonb('scan_error').$type<LibraryEntryError>(),
    /** When the library first saw it. */
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (table) => [
    uniqueIndex('model_metadata_relative_path_idx').on(table.relativePath),
    index('model_metadata_sha256_idx').on(table.sha256),
    // library.list: keyset pages per sort within a status.
    index('model_metadata_status_name_idx').on(table.status, table.name, table.id),
    index('model_metadata_status_size_idx').on(table.status, table.sizeBytes, table.id),
    index('model_metadata_status_added_idx').on(table.status, table.createdAt, table.id),
  ],
);

/**
 * Per library entry: what the metadata domain learnt (engine: metadata/refresh/stored-metadata.ts).
 * The normalised fields are columns so the library can filter and count by them; the hub identities,
 * raw hub answers and update status are jsonb. Goes with its entry (cascade).
 */
export const libraryMetadata = pgTable(
  'library_metadata',
  {
    entryId: text('entry_id')
      .primaryKey()
      .references(() => modelMetadata.id, { onDelete: 'cascade' }),
    /** The file's SHA-256 when this was written (a changed file is described again). */
    sha256: text('sha256'),
    /** Null until the entry has been described (then every field below may still be null: "not known"). */
    completeness: text('completeness').$type<Completeness>(),
    name: text('name'),
    versionName: text('version_name'),
    type: text('type'),
    baseModel: text('base_model'),
    trainedWords: jsonb('trained_words').$type<string[]>().notNull().default([]),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    /** Sanitised HTML. */
    description: text('description'),
    creator: text('creator'),
    nsfwLevel: integer('nsfw_level'),
    sourceUrl: text('source_url'),
    missing: jsonb('missing').$type<string[]>().notNull().default([]),
    sources: jsonb('sources').$type<MetadataSourceKind[]>().notNull().default([]),
    describedAt: timestamptz('described_at'),
    civitai: jsonb('civitai').$type<CivitaiIdentity>(),
    huggingFace: jsonb('hugging_face').$type<HuggingFaceIdentity>(),
    /** Raw source JSON: Civitai's version and model, Hugging Face's model info. */
    raw: jsonb('raw').$type<StoredModelMetadata['raw']>().notNull().default({}),
    /** 'image' or 'placeholder'. */
    previewKind: text('preview_kind').$type<'image' | 'placeholder'>(),
    /** File name in the data folder's thumbnails. */
    previewThumbnail: text('preview_thumbnail'),
    previewBesideModel: text('preview_beside_model'),
    previewUpdatedAt: timestamptz('preview_updated_at'),
    updateStatus: text('update_status').$type<UpdateStatusKind>(),
    updateLatest: jsonb('update_latest').$type<{
      id: string;
      name: string;
      publishedAt: string | null;
    }>(),
    updateCheckedAt: timestamptz('update_checked_at'),
    updateNote: text('update_note'),
    /** When Civitai said it does not know this SHA-256 (not asked again on every scan). */
    civitaiNotFoundAt: timestamptz('civitai_not_found_at'),
    /** Relative paths of sidecars seen or written beside the model. */
    sidecars: jsonb('sidecars').$type<string[]>().notNull().default([]),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (table) => [
    index('library_metadata_completeness_idx').on(table.completeness),
    index('library_metadata_update_status_idx').on(table.updateStatus),
  ],
);

/**
 * Durable refresh tasks (engine: tasks/refresh): background work on the library, claimed with a
 * lease like jobs, with progress, per-item errors and the kind's own resume state.
 */
export const refreshTasks = pgTable(
  'refresh_tasks',
  {
    /** Time-ordered UUIDv7. */
    id: text('id').primaryKey(),
    /** 'scan'; the metadata domain adds 'metadata', 'preview', 'update-check'. */
    kind: text('kind').notNull(),
    targets: jsonb('targets').$type<TaskTargets>().notNull(),
    /** 0 low, 1 normal, 2 high. */
    priority: integer('priority').notNull().default(1),
    status: text('status').$type<TaskStatus>().notNull(),
    done: integer('done').notNull().default(0),
    total: integer('total').notNull().default(0),
    current: text('current'),
    /** The first MAX_TASK_ERRORS item errors; error_count counts them all. */
    errors: jsonb('errors').$type<TaskItemError[]>().notNull().default([]),
    errorCount: integer('error_count').notNull().default(0),
    checkpoint: jsonb('checkpoint').$type<Record<string, unknown>>(),
    attempts: integer('attempts').notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamptz('lease_expires_at'),
    createdAt: timestamptz('created_at').notNull(),
    startedAt: timestamptz('started_at'),
    finishedAt: timestamptz('finished_at'),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (table) => [
    // claimNext: open tasks by priority, then age.
    index('refresh_tasks_claim_idx').on(table.status, table.priority.desc(), table.createdAt),
    index('refresh_tasks_created_idx').on(table.createdAt.desc()),
  ],
);

export type JobRow = typeof jobs.$inferSelect;
export type JobFileRow = typeof jobFiles.$inferSelect;
export type JobEventRow = typeof jobEvents.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/**
 * The processes sharing this database, one row each: its node name (MODELDOCK_NODE_NAME) and its
 * last heartbeat. A job for a node whose rows are all silent waits for it.
 */
export const workers = pgTable(
  'workers',
  {
    /** The process's lease owner id (host:pid:random). */
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    startedAt: timestamptz('started_at').notNull(),
    lastHeartbeatAt: timestamptz('last_heartbeat_at').notNull(),
  },
  (table) => [index('workers_name_idx').on(table.name)],
);

/**
 * Scheduled maintenance (engine: maintenance/): one row per kind ('scan', 'recovery', 'updates') with
 * its last start, claimed by an atomic conditional update so one process of many starts a due run.
 */
export const maintenanceRuns = pgTable('maintenance_runs', {
  kind: text('kind').primaryKey(),
  /** When the schedule first knew the kind: the first run is due an interval after it. */
  since: timestamptz('since').notNull(),
  lastStartedAt: timestamptz('last_started_at'),
  lastFinishedAt: timestamptz('last_finished_at'),
  /** The refresh task the last run queued. */
  taskId: text('task_id'),
  userInitiated: boolean('user_initiated').notNull().default(false),
  /** Library counts when the last run started. */
  baseline: jsonb('baseline').$type<MaintenanceCounts>(),
  lastReport: jsonb('last_report').$type<MaintenanceReport>(),
  updatedAt: timestamptz('updated_at').notNull(),
});

/**
 * Why scheduled recovery last failed on a library entry, and how many times in a row with that code
 * (three: skipped until the user asks). Goes with its entry (cascade).
 */
export const refreshFailures = pgTable('refresh_failures', {
  entryId: text('entry_id')
    .primaryKey()
    .references(() => modelMetadata.id, { onDelete: 'cascade' }),
  code: text('code').notNull(),
  count: integer('count').notNull(),
  lastFailedAt: timestamptz('last_failed_at').notNull(),
});

/**
 * The in-app notification centre (engine: notifications/): one row per notification, recorded once
 * per `dedupe_key` (e.g. a job's stored status event) however many processes see it.
 */
export const notifications = pgTable(
  'notifications',
  {
    /** Time-ordered UUIDv7: newest first is id order. */
    id: text('id').primaryKey(),
    event: text('event').$type<NotificationEvent>().notNull(),
    title: text('title').notNull(),
    message: text('message').notNull(),
    subject: jsonb('subject').$type<NotificationSubject>().notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    readAt: timestamptz('read_at'),
  },
  (table) => [
    uniqueIndex('notifications_dedupe_key_idx').on(table.dedupeKey),
    index('notifications_read_at_idx').on(table.readAt),
  ],
);

/** Outgoing destinations (webhook, ntfy topic), each with the events it wants and its last outcome. */
export const notificationDestinations = pgTable('notification_destinations', {
  id: text('id').primaryKey(),
  kind: text('kind').$type<DestinationKind>().notNull(),
  /** As the user gave it (user info and query included, to send with); never shown as is. */
  url: text('url').notNull(),
  /** Empty: every event. */
  events: jsonb('events').$type<NotificationEvent[]>().notNull().default([]),
  createdAt: timestamptz('created_at').notNull(),
  lastSuccessAt: timestamptz('last_success_at'),
  lastErrorAt: timestamptz('last_error_at'),
  /** Redacted. */
  lastError: text('last_error'),
});

/**
 * The outbox: one row per notification and destination still to be sent (delivered rows are
 * removed), claimed with a lease like jobs, retried at `next_attempt_at`, `failed` once given up.
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: text('id').primaryKey(),
    notificationId: text('notification_id')
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    destinationId: text('destination_id')
      .notNull()
      .references(() => notificationDestinations.id, { onDelete: 'cascade' }),
    status: text('status').$type<DeliveryStatus>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamptz('lease_expires_at'),
    lastError: text('last_error'),
    createdAt: timestamptz('created_at').notNull(),
  },
  (table) => [
    index('notification_deliveries_due_idx').on(table.status, table.nextAttemptAt),
    index('notification_deliveries_destination_idx').on(table.destinationId, table.status),
  ],
);
