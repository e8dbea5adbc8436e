import { downloadsRouter } from './routers/downloads';
import { libraryRouter } from './routers/library';
import { tasksRouter } from './routers/tasks';
import { healthRouter } from './routers/health';
import { sourcesRouter } from './routers/sources';
import { settingsRouter } from './routers/settings';
import { workersRouter } from './routers/workers';
import { maintenanceRouter } from './routers/maintenance';
import { notificationsRouter } from './routers/notifications';
import { workflowsRouter } from './routers/workflows';
import { router } from './trpc';

export const appRouter = router({
  ...healthRouter,
  downloads: router(downloadsRouter),
  sources: router(sourcesRouter),
  settings: router(settingsRouter),
  library: router(libraryRouter),
  tasks: router(tasksRouter),
  workers: router(workersRouter),
  maintenance: router(maintenanceRouter),
  notifications: router(notificationsRouter),
  workflows: router(workflowsRouter),
});

export type AppRouter = typeof appRouter;
