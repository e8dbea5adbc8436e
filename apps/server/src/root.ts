import { downloadsRouter } from './routers/downloads';
import { healthRouter } from './routers/health';
import { router } from './trpc';

export const appRouter = router({
  ...healthRouter,
  downloads: router(downloadsRouter),
});

export type AppRouter = typeof appRouter;
