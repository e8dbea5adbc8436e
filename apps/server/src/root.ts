import { downloadsRouter } from './routers/downloads';
import { healthRouter } from './routers/health';
import { settingsRouter } from './routers/settings';
import { router } from './trpc';

export const appRouter = router({
  ...healthRouter,
  downloads: router(downloadsRouter),
  settings: router(settingsRouter),
});

export type AppRouter = typeof appRouter;
