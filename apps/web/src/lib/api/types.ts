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
  TrackedLibraryEvent,
  JobEvent,
  LibraryEntry,
  LibraryListInput,
  LibraryStats,
  LibraryEntryMetadata,
  MetadataSummary,
  MetadataSettings,
  Task,
  CollectionManifest,
  ImportResult,
  WorkflowAnalysis,
  WorkflowModel,
  WorkflowCandidate,
  DownloadMissingResult,
} from '@modeldock/client';
import type {
  ClearCacheResult,
  PresetView,
  ResolveInput,
  RouterOutputs,
  SourcePreview,
} from '@modeldock/client';

export type CivitaiFileChoice = NonNullable<ResolveInput['civitaiFile']>;
export type DestinationLayout = NonNullable<ResolveInput['layout']>;
export type PresetFileView = PresetView['files'][number];
export type CacheCleanup = ClearCacheResult;
/** One file of a repository listing, as the file picker shows it. */
export type ListedFile = NonNullable<SourcePreview['listing']>[number];
/** Settings → Folders: the models and data folders and the type → folder table. */
export type FolderTable = RouterOutputs['settings']['folders'];
export type FolderTableRow = FolderTable['folders'][number];
/** The notification centre and Settings → Notifications. */
export type NotificationPage = RouterOutputs['notifications']['list'];
export type NotificationItem = NotificationPage['items'][number];
export type NotificationDestination =
  RouterOutputs['notifications']['destinations']['list'][number];
export type DestinationTestResult = RouterOutputs['notifications']['destinations']['test'];
