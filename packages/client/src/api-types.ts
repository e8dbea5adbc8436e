/**
 * The API's types as a caller sees them, taken from the server's router so they cannot drift. The
 * router type is rebuilt without the server's context (its database, engine and settings), which a
 * client never touches: the bundled declarations then hold only the procedures and what they carry.
 */
import type { inferRouterInputs, inferRouterOutputs, TRPCBuiltRouter } from '@trpc/server';
import type { AppRouter as ServerRouter } from '@modeldock/server';
import type { ErrorCode as ServerErrorCode } from '@modeldock/engine';

type ServerRoot = ServerRouter['_def']['_config']['$types'];

/** The modeldock API: pass it to `createTRPCClient<AppRouter>` or use `createModeldockClient`. */
export type AppRouter = TRPCBuiltRouter<
  {
    ctx: object;
    meta: ServerRoot['meta'];
    errorShape: ServerRoot['errorShape'];
    transformer: ServerRoot['transformer'];
  },
  ServerRouter['_def']['record']
>;

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Every stable code a modeldock error carries (`error.modeldockCode`). */
export type ErrorCode = ServerErrorCode;

export type Job = RouterOutputs['downloads']['get'];
export type JobFile = Job['files'][number];
export type JobStatus = Job['status'];
export type JobFailure = NonNullable<Job['error']>;
export type JobList = RouterOutputs['downloads']['list'];
export type EnqueueInput = RouterInputs['downloads']['enqueue'];
export type EnqueueResult = RouterOutputs['downloads']['enqueue'];
export type BandwidthLimits = RouterOutputs['downloads']['limits'];

export type ResolveInput = RouterInputs['sources']['resolve'];
export type SourcePreview = RouterOutputs['sources']['resolve'];
export type FilePreview = SourcePreview['files'][number];
export type PresetView = RouterOutputs['sources']['presets']['items'][number];
export type DownloadPresetResult = RouterOutputs['sources']['downloadPreset'];

export type ApiKeyListing = RouterOutputs['settings']['apiKeys']['list'];
export type ApiKeyView = ApiKeyListing['items'][number];
export type ApiKeyPlatform = ApiKeyView['platform'];
export type EnvironmentKeyView = ApiKeyListing['environment'][number];

export type Health = RouterOutputs['health'];

/** What `downloads.events` delivers: `{ id, data }`; `id` is what a resubscription sends as `lastEventId`. */
export type TrackedJobEvent =
  RouterOutputs['downloads']['events'] extends AsyncIterable<infer Event, unknown, unknown>
    ? Event
    : never;
export type JobEvent = TrackedJobEvent['data'];
export type JobEventType = JobEvent['type'];

export type LibraryListInput = NonNullable<RouterInputs['library']['list']>;
export type LibraryList = RouterOutputs['library']['list'];
export type LibraryEntry = RouterOutputs['library']['get'];
export type LibraryEntryStatus = LibraryEntry['status'];
export type LibrarySource = NonNullable<LibraryEntry['source']>;
export type LibraryStats = RouterOutputs['library']['stats'];
export type LibraryDeleteResult = RouterOutputs['library']['delete'];
export type ClearCacheResult = RouterOutputs['library']['clearCache'];
/** What the metadata domain knows about an entry's model (null until described). */
export type LibraryEntryMetadata = NonNullable<LibraryEntry['metadata']>;
export type LibraryEntryUpdate = NonNullable<LibraryEntry['update']>;
export type MetadataSummary = NonNullable<LibraryStats['metadata']>;
export type LibraryRefreshInput = RouterInputs['library']['refresh'];
export type MetadataSettings = RouterOutputs['settings']['metadata']['get'];
/** What `library.events` delivers: `{ id, data }`, resumable with `lastEventId`. */
export type TrackedLibraryEvent =
  RouterOutputs['library']['events'] extends AsyncIterable<infer Event, unknown, unknown>
    ? Event
    : never;
export type LibraryEvent = TrackedLibraryEvent['data'];

export type Task = RouterOutputs['tasks']['get'];
export type TaskStatus = Task['status'];
export type TaskList = RouterOutputs['tasks']['list'];

export type CollectionManifest = RouterOutputs['library']['export'];
export type ManifestModel = CollectionManifest['models'][number];
export type ImportResult = RouterOutputs['library']['import'];
export type WorkflowAnalysis = RouterOutputs['workflows']['analyze'];
export type WorkflowModel = WorkflowAnalysis['models'][number];
export type WorkflowCandidate = WorkflowModel['candidates'][number];
export type DownloadMissingResult = RouterOutputs['workflows']['downloadMissing'];

/** The notification centre (`notifications.list`) and its outgoing destinations. */
export type NotificationPage = RouterOutputs['notifications']['list'];
export type Notification = NotificationPage['items'][number];
export type NotificationEvent = Notification['event'];
export type NotificationDestination =
  RouterOutputs['notifications']['destinations']['list'][number];
export type NotificationDestinationInput = RouterInputs['notifications']['destinations']['add'];
export type NotificationDestinationTest = RouterOutputs['notifications']['destinations']['test'];
