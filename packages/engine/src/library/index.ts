/** The model library's public face: entries, scans, delete, cache cleanup, and reuse of files on disk. */
export { createModelLibrary, toLibraryEntry, DEFAULT_MODEL_LIBRARY_SETTINGS } from './model-library';
export type { LibraryStats, ModelLibrary, ModelLibraryPorts, ModelLibrarySettings } from './model-library';
export * from './library-entry';
export type * from './library-store';
export { LIBRARY_SORTS } from './library-store';
export { validateLibraryQuery, DEFAULT_LIBRARY_PAGE, MAX_LIBRARY_PAGE } from './library-query';
export type { LibraryListQuery } from './library-query';
export { librarySourceOf } from './library-source';
export type { LibraryEvent, LibraryEventInput } from './library-events';
export { libraryEventRelayOver } from './library-event-relay';
export type { LibraryEventRelay, MessageChannel } from './library-event-relay';
export type { CacheCleanup, CacheItem, CacheItemReason } from './library-cache-cleanup';
export type { DeleteResult } from './library-delete';
export type { FilesInUse } from './model-library-context';
export { scanLibrary, sameFileVersion } from './library-scan';
export type { LibraryScanContext, LibraryScanOptions, LibraryScanReport, ScanProgress, ScanItemError } from './library-scan';
export { SCAN_TASK_KIND } from './library-scan-task';
export type { LibraryContext } from './library-context';
export { findExistingCopy } from './find-existing-copy';
export type { WantedFile } from './find-existing-copy';
export { placeExistingFile } from './place-existing-file';
export type { Placement, PlacementRequest } from './place-existing-file';
export { currentIndexEntry, isUnchangedSince } from './indexed-hash';
export { recordLocalFile, forgetLocalFiles } from './record-local-file';
export type { CompletedLocalFile } from './record-local-file';
export { walkModelsRoot } from './models-root-walk';
export type { ModelsRootWalkOptions, WalkedFile } from './models-root-walk';
export {
  checkIndexEntry,
  checkIndexPageLimit,
  checkIndexPath,
  checkIndexSha256,
  MAX_INDEX_PAGE,
} from './index-entry-checks';
export { checkStorage } from './storage-check';
export type { StorageCheck } from './storage-check';
