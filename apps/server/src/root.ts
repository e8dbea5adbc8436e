import { downloadsRouter } from './routers/downloads';
import { healthRouter } from './routers/health';
import { sourcesRouter } from './routers/sources';
import { settingsRouter } from './routers/settings';
import { router } from './trpc';

export const appRouter = router({
  ...healthRouter,
  downloads: router(downloadsRouter),
  sources: router(sourcesRouter),
  settings: router(settingsRouter),
});

export type AppRouter = typeof appRouter;
