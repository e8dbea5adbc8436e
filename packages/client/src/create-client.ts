/**
 * `createModeldockClient`: a typed tRPC client for a modeldock server. Queries and mutations go over
 * HTTP (`/trpc`, batched); subscriptions over one WebSocket that reconnects by itself and resumes
 * each subscription from the last event it delivered (`lastEventId`). Plain JSON, no transformer.
 */
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink } from '@trpc/client';
import type { TRPCClient } from '@trpc/client';
import type { AppRouter } from './api-types';
import type { ModeldockClientOptions } from './client-options';
import { webSocketFor } from './web-socket';
import { modeldockErrorLink } from './error-link';
import { jobEvents } from './job-events';
import type { JobEventsOptions } from './job-events';
import { waitForJob } from './wait-for-job';
import type { WaitForJobOptions } from './wait-for-job';

const API_PATH = '/trpc';

/** 0.5 s, 1 s, 2 s, 4 s, then every 5 s, with jitter so many clients do not knock in step. */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(5_000, 500 * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

function apiUrl(base: string): string {
  const parsed = new URL(base);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(
      `The modeldock URL must start with http:// or https:// (got ${parsed.protocol})`,
    );
  }
  if (parsed.username || parsed.password) {
    throw new TypeError('Put the access token in the token option, not in the URL');
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}${API_PATH}`;
}

export interface ModeldockHelpers {
  /** Resolves with the job once it completes; rejects with a ModeldockClientError if it fails or is cancelled. */
  waitForJob(jobId: string, options?: WaitForJobOptions): ReturnType<typeof waitForJob>;
  /** The job's events as they happen, from now (or after `lastEventId`). */
  jobEvents(jobId: string, options?: JobEventsOptions): ReturnType<typeof jobEvents>;
  /** Closes the WebSocket; calls over HTTP keep working. */
  close(): Promise<void>;
  /** The address calls go to, e.g. http://127.0.0.1:8787/trpc. */
  readonly apiUrl: string;
  /** The WebSocket client, for watching its connection state. */
  readonly webSocket: ReturnType<typeof createWSClient>;
}

export type ModeldockClient = TRPCClient<AppRouter> & ModeldockHelpers;

const HELPER_NAMES = new Set<PropertyKey>([
  'waitForJob',
  'jobEvents',
  'close',
  'apiUrl',
  'webSocket',
]);

export function createModeldockClient(options: ModeldockClientOptions): ModeldockClient {
  const url = apiUrl(options.url);
  const authorization: Record<string, string> = options.token
    ? { Authorization: `Bearer ${options.token}` }
    : {};
  const webSocket = createWSClient({
    url: url.replace(/^http/, 'ws'),
    WebSocket: webSocketFor(options) as unknown as typeof globalThis.WebSocket,
    retryDelayMs: options.retryDelayMs ?? reconnectDelayMs,
    lazy: { enabled: options.lazyWebSocket ?? true, closeMs: 0 },
    // A socket silently dropped by a proxy or a sleeping laptop is noticed within seconds.
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 },
  });
  const api = createTRPCClient<AppRouter>({
    links: [
      modeldockErrorLink(url),
      ...(options.links ?? []),
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: wsLink({ client: webSocket }),
        false: httpBatchLink({ url, headers: () => authorization }),
      }),
    ],
  });
  const helpers: ModeldockHelpers = {
    waitForJob: (jobId, waitOptions) => waitForJob(api, url, jobId, waitOptions),
    jobEvents: (jobId, eventOptions) => jobEvents(api, url, jobId, eventOptions),
    close: () => webSocket.close(),
    apiUrl: url,
    webSocket,
  };
  return new Proxy(api, {
    get(target, property, receiver) {
      if (HELPER_NAMES.has(property)) return helpers[property as keyof ModeldockHelpers];
      return Reflect.get(target, property, receiver);
    },
  }) as ModeldockClient;
}
