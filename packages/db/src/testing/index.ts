/**
 * Helpers for tests only (`@modeldock/db/testing`): SQL stays in this package even when a test
 * needs a scratch PostgreSQL database, an empty store between cases, or a look at the migrator.
 */
export { createScratchPostgresDatabase } from './scratch-postgres';
export type { ScratchPostgresDatabase } from './scratch-postgres';
export { appliedMigrationCount, clearAllTables, serverSetting } from './table-reset';
export { dumpAllTables } from './table-dump';
export {
  acquirePgliteLock,
  acquirePgliteLockWaiting,
  lockOwnerState,
  processStartTime,
  LOCK_FILE_NAME,
} from '../pglite-lock';
export type { LockOwner, OwnerState } from '../pglite-lock';
export { appendEventWithoutNotification, cutListenConnections } from './event-faults';
export { createTimeOrderedId } from '../time-ordered-id';
export { indexedFileDetails, setIndexedFileDetails, storedFileColumns } from './stored-columns';
export type { IndexedFileDetails } from './stored-columns';
