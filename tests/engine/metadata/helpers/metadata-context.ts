/**
 * Shared pieces of the metadata tests: the engine's own undici client (private hosts allowed, as the
 * fakes live on 127.0.0.1), a clock whose sleeps advance time instantly and are recorded, a silent
 * logger, and hubs over them.
 */
import { createMetadataHubs, createUndiciHttpClient, DEFAULT_ENGINE_CONFIG } from '@modeldock/engine';
import type { Clock, Logger, MetadataHubs, UndiciHttpClient } from '@modeldock/engine';

export interface SteppingClock extends Clock {
  sleeps: number[];
  /** Current fake time (ms). */
  time: number;
}

/** Time starts at `start` and moves only when something sleeps. */
export function steppingClock(start = 1_000_000): SteppingClock {
  const clock: SteppingClock = {
    time: start,
    sleeps: [],
    now: () => clock.time,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function testHttpClient(): UndiciHttpClient {
  return createUndiciHttpClient({ ...DEFAULT_ENGINE_CONFIG, allowPrivateHosts: true });
}

export function hubsFor(
  endpoints: { civitai?: string; huggingFace?: string },
  keys: { civitai?: string; huggingface?: string } = {},
  clock: Clock = steppingClock(),
  http = testHttpClient(),
): MetadataHubs {
  return createMetadataHubs({
    http,
    clock,
    logger: silentLogger,
    credentials: async (kind) => (kind === 'civitai' ? (keys.civitai ?? null) : kind === 'huggingface' ? (keys.huggingface ?? null) : null),
    civitaiEndpoint: endpoints.civitai,
    huggingFaceEndpoint: endpoints.huggingFace,
    random: () => 0.5,
  });
}
