/** The API's shapes, inferred from the server's router so the page and the server never drift apart. */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@modeldock/server';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type Job = RouterOutputs['downloads']['get'];
export type JobFile = Job['files'][number];
export type JobStatus = Job['status'];
export type JobFailure = NonNullable<Job['error']>;
export type EnqueueInput = RouterInputs['downloads']['enqueue'];
export type EnqueueResult = RouterOutputs['downloads']['enqueue'];
export type BandwidthLimits = RouterOutputs['downloads']['limits'];

/** What a preview is asked for: the enqueue input without the queueing choices. */
export type ResolveInput = RouterInputs['sources']['resolve'];
export type SourcePreview = RouterOutputs['sources']['resolve'];
export type FilePreview = SourcePreview['files'][number];
export type CivitaiFileChoice = NonNullable<ResolveInput['civitaiFile']>;
export type DestinationLayout = NonNullable<ResolveInput['layout']>;

export type PresetView = RouterOutputs['sources']['presets']['items'][number];
export type PresetFileView = PresetView['files'][number];
export type DownloadPresetResult = RouterOutputs['sources']['downloadPreset'];

export type ApiKeyView = RouterOutputs['settings']['apiKeys']['list']['items'][number];
export type ApiKeyPlatform = ApiKeyView['platform'];
export type EnvironmentKeyView =
  RouterOutputs['settings']['apiKeys']['list']['environment'][number];

/** What `downloads.events` delivers: `{ id, data }`, where `id` is what a resubscription sends back as `lastEventId`. */
export type TrackedJobEvent =
  RouterOutputs['downloads']['events'] extends AsyncIterable<infer Event, unknown, unknown>
    ? Event
    : never;
export type JobEvent = TrackedJobEvent['data'];

export type LibraryEntry = RouterOutputs['library']['get'];
export type LibraryListInput = NonNullable<RouterInputs['library']['list']>;
export type LibraryStats = RouterOutputs['library']['stats'];
export type CacheCleanup = RouterOutputs['library']['clearCache'];
export type Task = RouterOutputs['tasks']['get'];
