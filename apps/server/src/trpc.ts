/**
 * The one place procedures are built. Errors carry modeldock's stable code in `data.code` next to
 * tRPC's HTTP-ish code, so clients branch on `error.data.modeldockCode` and show `error.message`.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { isModeldockError, toModeldockError } from '@modeldock/engine';
import type {
  AppSettingsService,
  BandwidthSchedule,
  MaintenanceScheduler,
  Collection,
  Workflows,
  DownloadManager,
  ErrorCode,
  LibraryMetadata,
  ModelLibrary,
  Notifications,
  RefreshTasks,
  WorkerPresence,
} from '@modeldock/engine';
import type { JobEventSource } from './events/job-event-hub';
import type { ApiKeySettings } from './credentials/api-key-settings';

export interface AppContext {
  manager: DownloadManager;
  /** Job events of this process and, on PostgreSQL, of every other process sharing the database. */
  events: JobEventSource;
  /** The model library (entries present and missing, delete, clear cache, scans). */
  library: ModelLibrary;
  /** Durable refresh tasks (scans; metadata refreshes add their kinds). */
  tasks: RefreshTasks;
  /** Metadata, previews and update checks of library entries; absent in tests of the listener alone. */
  metadata?: LibraryMetadata;
  /** The stored settings object (`settings.get` / `settings.update`); absent in bare listener tests. */
  settings?: AppSettingsService;
  /** The global limit in force and where it comes from (manual or a bandwidth window). */
  bandwidth?: BandwidthSchedule;
  /** Scheduled maintenance: status, run now. */
  maintenance?: MaintenanceScheduler;
  /** Export and import of the collection; absent in tests of the listener alone. */
  collection?: Collection;
  /** ComfyUI workflow analysis and downloads; absent in tests of the listener alone. */
  workflows?: Workflows;
  database: 'pglite' | 'postgres';
  version: string;
  /** Where models and modeldock's own data live (Settings shows them); absent in bare listener tests. */
  paths?: { modelsDir: string; dataDir: string };
  /** Settings → API keys; absent in tests that stand up a listener without credentials. */
  apiKeys?: ApiKeySettings;
  /** The notification centre and outgoing destinations (webhook, ntfy). */
  notifications: Notifications;
  /** This worker and the others sharing the database; absent in tests without a database. */
  workers?: WorkerPresence;
}

const TRPC_CODE_FOR: Partial<Record<ErrorCode, TRPC_ERROR_CODE_KEY>> = {
  INVALID_INPUT: 'BAD_REQUEST',
  INVALID_URL: 'BAD_REQUEST',
  UNSUPPORTED_SCHEME: 'BAD_REQUEST',
  PRIVATE_ADDRESS: 'BAD_REQUEST',
  PATH_OUTSIDE_ROOT: 'BAD_REQUEST',
  UNRECOGNISED_INPUT: 'BAD_REQUEST',
  AMBIGUOUS_INPUT: 'BAD_REQUEST',
  FOLDER_REQUIRED: 'BAD_REQUEST',
  JOB_NOT_FOUND: 'NOT_FOUND',
  MODEL_NOT_FOUND: 'NOT_FOUND',
  TASK_NOT_FOUND: 'NOT_FOUND',
  NOTIFICATION_DESTINATION_NOT_FOUND: 'NOT_FOUND',
  FILE_IN_USE: 'CONFLICT',
  INVALID_STATE: 'CONFLICT',
  DESTINATION_EXISTS: 'CONFLICT',
  AUTH_REQUIRED: 'UNAUTHORIZED',
  INVALID_TOKEN: 'UNAUTHORIZED',
  ACCESS_TOKEN_REQUIRED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  GATED_REPO: 'FORBIDDEN',
  GATED_NOT_APPROVED: 'FORBIDDEN',
  EARLY_ACCESS: 'FORBIDDEN',
  NO_ACCESS: 'FORBIDDEN',
  REPO_NOT_FOUND: 'NOT_FOUND',
  REVISION_NOT_FOUND: 'NOT_FOUND',
  ENTRY_NOT_FOUND: 'NOT_FOUND',
  REMOTE_NOT_FOUND: 'NOT_FOUND',
  // Gone upstream (Civitai answers 410): what was asked for no longer exists to download.
  ARCHIVED: 'NOT_FOUND',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  ACCESS_TOKEN_THROTTLED: 'TOO_MANY_REQUESTS',
  SHUTDOWN: 'SERVICE_UNAVAILABLE',
  // An upstream's fault is not this server's: a bad answer is 502, an unreachable or silent one 503.
  SERVER_ERROR: 'BAD_GATEWAY',
  HTTP_ERROR: 'BAD_GATEWAY',
  PREMATURE_EOF: 'BAD_GATEWAY',
  TOO_MANY_REDIRECTS: 'BAD_GATEWAY',
  BAD_CONTENT_RANGE: 'BAD_GATEWAY',
  NETWORK_ERROR: 'SERVICE_UNAVAILABLE',
  CONNECTION_REFUSED: 'SERVICE_UNAVAILABLE',
  DNS_FAILED: 'SERVICE_UNAVAILABLE',
  IDLE_TIMEOUT: 'SERVICE_UNAVAILABLE',
  DATABASE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** Turns an engine error into a TRPCError that keeps the engine's code and message. */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  const value = toModeldockError(error);
  return new TRPCError({
    code: TRPC_CODE_FOR[value.code] ?? 'INTERNAL_SERVER_ERROR',
    message: value.message,
    cause: value,
  });
}

function modeldockCodeOf(error: TRPCError): ErrorCode | null {
  if (isModeldockError(error.cause)) return error.cause.code;
  if (error.code === 'BAD_REQUEST') return 'INVALID_INPUT';
  if (error.code === 'NOT_FOUND') return 'JOB_NOT_FOUND';
  return null;
}

interface InputIssue {
  path: PropertyKey[];
  message: string;
}

function inputIssuesOf(error: TRPCError): InputIssue[] | null {
  const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
  return error.code === 'BAD_REQUEST' && Array.isArray(issues) ? (issues as InputIssue[]) : null;
}

/** "priority: priority must be 0 or more" rather than a JSON dump of validator internals. */
function describeInputIssues(issues: InputIssue[]): string {
  return issues
    .map((issue) => {
      const field = issue.path.map(String).join('.');
      return field && !issue.message.startsWith(field)
        ? `${field}: ${issue.message}`
        : issue.message;
    })
    .join('; ');
}

const t = initTRPC.context<AppContext>().create({
  errorFormatter({ shape, error }) {
    const issues = inputIssuesOf(error);
    return {
      ...shape,
      message: issues ? describeInputIssues(issues) : shape.message,
      data: {
        ...shape.data,
        // Stack traces stay in the log, never in a response.
        stack: undefined,
        modeldockCode: modeldockCodeOf(error),
      },
    };
  },
});

/**
 * Every procedure's failure leaves as a typed API error: an engine error keeps its code (a client's
 * mistake is a 4xx, an upstream's a 502/503) and only a bug of ours is a 500. A subscription's
 * stream is mapped too, for errors thrown while it runs.
 */
const engineErrorsAsApiErrors = t.middleware(async ({ type, next }) => {
  const result = await next();
  if (!result.ok) return { ...result, error: toTRPCError(thrownBy(result.error)) };
  if (type === 'subscription' && isAsyncIterable(result.data)) {
    return { ...result, data: streamWithApiErrors(result.data) };
  }
  return result;
});

/** tRPC wraps whatever a resolver throws in an INTERNAL_SERVER_ERROR whose cause is the thrown value. */
function thrownBy(error: TRPCError): unknown {
  return error.code === 'INTERNAL_SERVER_ERROR' && error.cause !== undefined ? error.cause : error;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

async function* streamWithApiErrors<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (error) {
    throw toTRPCError(error);
  }
}

export const router = t.router;
export const publicProcedure = t.procedure.use(engineErrorsAsApiErrors);
