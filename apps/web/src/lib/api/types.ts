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
} from '@modeldock/client';
import type { PresetView, ResolveInput } from '@modeldock/client';

export type CivitaiFileChoice = NonNullable<ResolveInput['civitaiFile']>;
export type DestinationLayout = NonNullable<ResolveInput['layout']>;
export type PresetFileView = PresetView['files'][number];
