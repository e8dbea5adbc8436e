/**
 * Entry of the origin child process (forked by origin-client.ts): reads the catalog from the IPC
 * channel, serves it, answers traffic questions, and exits when the bench goes away. A process of
 * its own, so its CPU is never counted as a tool's and a tool never competes with the bench itself.
 */
import { startBenchOrigin } from './bench-origin';
import type { BenchOrigin } from './bench-origin';
import type { OriginCatalog } from './origin-catalog';

export type OriginRequestMessage = { type: 'start'; catalog: OriginCatalog } | { type: 'traffic' };

let origin: BenchOrigin | null = null;

process.on('message', (message: OriginRequestMessage) => {
  if (message.type === 'start') {
    startBenchOrigin(message.catalog).then(
      (started) => {
        origin = started;
        process.send!({
          type: 'ready',
          plainUrl: started.plainUrl,
          throttledUrl: started.throttledUrl,
          hubUrl: started.hubUrl,
          sha256: started.sha256,
        });
      },
      (error: unknown) => {
        process.send!({ type: 'failed', message: String((error as Error)?.stack ?? error) });
      },
    );
  } else if (message.type === 'traffic') {
    process.send!({ type: 'traffic', traffic: origin?.traffic() ?? { requests: 0, bodyBytes: 0 } });
  }
});

// The bench closing the channel (or dying) ends the origin.
process.on('disconnect', () => {
  void (origin?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
