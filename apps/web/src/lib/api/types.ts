/** The API's shapes, as @modeldock/client exports them (inferred from the server's router). */
export type {
  RouterInputs,
  RouterOutputs,
  Job,
  JobFile,
  JobStatus,
  JobFailure,
  EnqueueInput,
  EnqueueResult,
  BandwidthLimits,
  ResolveInput,
  SourcePreview,
  FilePreview,
  PresetView,
  DownloadPresetResult,
  ApiKeyView,
  ApiKeyPlatform,
  EnvironmentKeyView,
  TrackedJobEvent,
  JobEvent,
  LibraryEntry,
  LibraryListInput,
  LibraryStats,
  Task,
} from '@modeldock/client';
import type { ClearCacheResult, PresetView, ResolveInput } from '@modeldock/client';

export type CivitaiFileChoice = NonNullable<ResolveInput['civitaiFile']>;
export type DestinationLayout = NonNullable<ResolveInput['layout']>;
export type PresetFileView = PresetView['files'][number];
export type CacheCleanup = ClearCacheResult;
