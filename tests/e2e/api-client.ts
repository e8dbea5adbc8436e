/**
 * What the e2e tests use to talk to a running server: tRPC clients over HTTP (httpBatchLink) and
 * WebSocket (createWSClient + wsLink, which resends `lastEventId` after a reconnect), an event
 * collector, polling helpers and a reader for typed API errors.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  TRPCClientError,
  wsLink,
} from '@trpc/client';
import type { TRPCClient } from '@trpc/client';
import WebSocket from 'ws';
import type { JobEvent, JobStatus, JobSummary } from '@modeldock/engine';
import type { AppRouter } from '@modeldock/server';

export type Api = TRPCClient<AppRouter>;

export function connectHttp(serverUrl: string, headers: Record<string, string> = {}): Api {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${serverUrl}/trpc`, headers })],
  });
}

export interface WebSocketApi {
  api: Api;
  /** How many times the socket (re)opened. */
  opens(): number;
  close(): Promise<void>;
}

export function connectWebSocket(serverUrl: string): WebSocketApi {
  let opens = 0;
  const client = createWSClient({
    url: `${serverUrl.replace(/^http/, 'ws')}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    // Fast, steady retries: a restarting test server is back within seconds.
    retryDelayMs: () => 200,
    onOpen: () => void opens++,
  });
  return {
    api: createTRPCClient<AppRouter>({ links: [wsLink({ client })] }),
    opens: () => opens,
    close: () => client.close(),
  };
}

export interface EventCollector {
  events: JobEvent[];
  errors: unknown[];
  /** Resolves with the first collected event that matches (already collected ones count). */
  waitFor(match: (event: JobEvent) => boolean, what: string, timeoutMs?: number): Promise<JobEvent>;
  statuses(): JobStatus[];
  stop(): void;
}

/** Subscribes to `downloads.events` and keeps everything it receives. */
export function collectEvents(
  api: Api,
  input: { jobId?: string; lastEventId?: string | null } = {},
): EventCollector {
  const events: JobEvent[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const subscription = api.downloads.events.subscribe(input, {
    onData: (tracked) => {
      events.push(tracked.data);
      for (const wake of waiters) wake();
    },
    onError: (error) => errors.push(error),
  });
  return {
    events,
    errors,
    async waitFor(match, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          throw new Error(
            `No event for ${what} within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => [e.id, e.type, e.job?.status]))}`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(remaining, 500));
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
        });
      }
    },
    statuses: () => events.flatMap((event) => (event.job ? [event.job.status] : [])),
    stop: () => subscription.unsubscribe(),
  };
}

/** Polls until `check` returns something truthy; the failure message says what was awaited and the last value. */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function waitForJob(
  api: Api,
  jobId: string,
  match: (job: JobSummary) => boolean,
  what: string,
  timeoutMs?: number,
) {
  return waitFor(
    async () => {
      const job = await api.downloads.get.query({ jobId });
      return match(job) ? job : null;
    },
    `job ${jobId}: ${what}`,
    timeoutMs,
  );
}

export function waitForStatus(api: Api, jobId: string, status: JobStatus, timeoutMs?: number) {
  return waitForJob(api, jobId, (job) => job.status === status, `status ${status}`, timeoutMs);
}

export interface ApiFailure {
  message: string;
  /** tRPC's code, e.g. BAD_REQUEST. */
  code: string | undefined;
  httpStatus: number | undefined;
  /** modeldock's stable code, e.g. PATH_OUTSIDE_ROOT. */
  modeldockCode: string | null | undefined;
}

/** Runs a call that must fail and returns its typed error. */
export async function failureOf(call: Promise<unknown>): Promise<ApiFailure> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as
      { code?: string; httpStatus?: number; modeldockCode?: string | null } | undefined;
    return {
      message: error.message,
      code: data?.code,
      httpStatus: data?.httpStatus,
      modeldockCode: data?.modeldockCode,
    };
  }
  throw new Error('expected the call to fail');
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under `root`, relative, POSIX separators; hidden temp files included. */
export async function listFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(directory: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) await walk(full);
      else found.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  await walk(root);
  return found.sort();
}
