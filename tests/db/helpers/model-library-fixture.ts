/**
 * The model library on real ports: a models folder in a temp dir, an embedded PGlite database (one
 * per test file, emptied between cases), the instrumented file system that records reads, a fake
 * clock, and stand-ins for the download side (jobs in use, enqueue) that a test can set.
 */
import path from 'node:path';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables } from '@modeldock/db/testing';
import { createModelLibrary, createRefreshTasks } from '@modeldock/engine';
import type {
  EnqueueRequest,
  EnqueueResult,
  JobRecord,
  LibraryEventRelay,
  LibraryScanContext,
  ModelLibrary,
  ModelLibrarySettings,
  RefreshTasks,
} from '@modeldock/engine';
import { FakeClock } from '../../engine/jobs/helpers/fake-clock';
import { makeTempDataDir, removeTempDataDir } from './temp-data-dir';
import { createLibraryFixture } from '../../engine/library/helpers/library-fixture';
import type { LibraryFixture } from '../../engine/library/helpers/library-fixture';

export interface ModelLibraryFixture extends LibraryFixture {
  db: ModeldockDatabase;
  clock: FakeClock;
  scanContext: LibraryScanContext;
  library: ModelLibrary;
  tasks: RefreshTasks;
  /** Jobs the library sees as active (their destinations are in use). */
  activeJobs: JobRecord[];
  enqueued: EnqueueRequest[];
  downloading: boolean;
}

export interface SharedDatabase {
  open(): Promise<ModeldockDatabase>;
  close(): Promise<void>;
}

/** One database per test file: opening PGlite costs a second, emptying it a few milliseconds. */
export function sharedDatabase(): SharedDatabase {
  let dataDir: string | undefined;
  let db: ModeldockDatabase | undefined;
  return {
    async open() {
      if (!db) {
        dataDir = await makeTempDataDir();
        db = await openDatabase({ dataDir });
      } else {
        await clearAllTables(db);
      }
      return db;
    },
    async close() {
      await db?.close();
      await removeTempDataDir(dataDir);
    },
  };
}

export async function createModelLibraryFixture(
  shared: SharedDatabase,
  settings: Partial<ModelLibrarySettings> = { scanIntervalMs: null },
  relay?: LibraryEventRelay,
): Promise<ModelLibraryFixture> {
  const files = await createLibraryFixture();
  const db = await shared.open();
  const clock = new FakeClock(Date.parse('2030-05-06T07:08:09.000Z'));
  const tasks = createRefreshTasks({ store: db.refreshTasks, clock, logger: files.logger, workerId: 'test-worker' });
  const fixture = {
    ...files,
    db,
    clock,
    tasks,
    activeJobs: [] as JobRecord[],
    enqueued: [] as EnqueueRequest[],
    downloading: false,
  } as ModelLibraryFixture;
  fixture.scanContext = {
    fs: files.fs,
    store: db.library,
    logger: files.logger,
    modelsRoot: files.modelsRoot,
    now: () => new Date(clock.now()),
  };
  fixture.library = createModelLibrary({
    store: db.library,
    tasks,
    jobs: {
      listActiveJobs: async () => fixture.activeJobs,
      listJobs: async () => ({ items: [], nextCursor: null }),
    },
    enqueue: async (request): Promise<EnqueueResult> => {
      fixture.enqueued.push(request);
      return { jobId: `job-${fixture.enqueued.length}`, attached: false };
    },
    isDownloading: () => fixture.downloading,
    fs: files.fs,
    clock,
    logger: files.logger,
    modelsRoot: files.modelsRoot,
    dataDir: path.join(files.root, 'data'),
    settings,
    ...(relay ? { relay } : {}),
  });
  return fixture;
}
