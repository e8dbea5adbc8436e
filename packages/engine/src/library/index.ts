/** The local file index's public face: the background scan, reuse of files on disk, link support. */
export { scanLibrary } from './library-scan';
export type { LibraryScanOptions, LibraryScanReport } from './library-scan';
export {
  createLibraryIndexTask,
  DEFAULT_LIBRARY_INDEXER_SETTINGS,
  LIBRARY_INDEX_TASK,
} from './library-indexer';
export type {
  LibraryIndexTask,
  LibraryIndexerContext,
  LibraryIndexerSettings,
} from './library-indexer';
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
export { withFileLinks } from './file-links';
export {
  checkIndexEntry,
  checkIndexPageLimit,
  checkIndexPath,
  checkIndexSha256,
  MAX_INDEX_PAGE,
} from './index-entry-checks';
