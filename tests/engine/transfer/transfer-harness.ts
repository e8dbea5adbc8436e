/**
 * Shared set-up for byte-layer tests: a real temp models root, the real undici client against a
 * fault origin on 127.0.0.1, small sizes and tiny timeouts, a clock whose backoff sleeps cost
 * nothing (and are recorded), and callbacks that record everything the job layer would see.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveEngineConfig } from '@modeldock/engine';
import type {
  Clock,
  DurableProgress,
  EngineConfig,
  FileSystem,
  FileTransferCallbacks,
  FileTransferContext,
  Logger,
  StalledState,
} from '@modeldock/engine';
import { createUndiciHttpClient } from '@modeldock/engine/internal/http/undici-http-client';
import type { UndiciHttpClient } from '@modeldock/engine/internal/http/undici-http-client';
import { createNodeFileSystem } from '@modeldock/engine/internal/fs/node-file-system';
import type { BandwidthLimiter } from '@modeldock/engine/internal/transfer/bandwidth';

export const TEST_CONFIG: Partial<EngineConfig> = {
  idleTimeoutMs: 400,
  maxAttempts: 4,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 5,
  retryAfterCapMs: 60_000,
  syncIntervalMs: 0,
  segmentThresholdBytes: 64 * 1024 * 1024,
  connectionsPerFile: 4,
  allowPrivateHosts: true,
};

export { fileRecord } from '../../support/factories';

/** A clock with real time whose sleeps return at once (honouring abort) and are recorded. */
export function instantClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted) throw signal.reason;
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw signal.reason;
    },
  };
}

export interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface Recorder {
  callbacks: FileTransferCallbacks;
  durable: DurableProgress[];
  received: number[];
  verifying: Array<[number, number]>;
  stalled: Array<StalledState | null>;
  lastDurable(): DurableProgress | undefined;
}

export function recorder(
  options: { onBytes?: (bytes: number) => void; ignoreDurable?: () => boolean } = {},
): Recorder {
  const durable: DurableProgress[] = [];
  const received: number[] = [];
  const verifying: Array<[number, number]> = [];
  const stalled: Array<StalledState | null> = [];
  return {
    durable,
    received,
    verifying,
    stalled,
    lastDurable: () => durable[durable.length - 1],
    callbacks: {
      onBytesReceived: (bytes) => {
        received.push(bytes);
        options.onBytes?.(bytes);
      },
      onDurable: async (progress) => {
        if (options.ignoreDurable?.()) return;
        durable.push(structuredClone(progress));
      },
      onVerifying: (done, total) => verifying.push([done, total]),
      onStalled: (state) => stalled.push(state),
    },
  };
}

export interface Harness {
  root: string;
  config: EngineConfig;
  http: UndiciHttpClient;
  clock: Clock & { sleeps: number[] };
  logger: Logger & { lines: LogLine[] };
  fs: FileSystem;
  context(overrides?: Partial<FileTransferContext>): FileTransferContext;
  dispose(): Promise<void>;
}

export async function createHarness(
  configOverrides: Partial<EngineConfig> = {},
  fs?: FileSystem,
): Promise<Harness> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-transfer-'));
  const config = resolveEngineConfig({ ...TEST_CONFIG, ...configOverrides });
  const http = createUndiciHttpClient(config);
  const clock = instantClock();
  const logger = recordingLogger();
  const fileSystem = fs ?? createNodeFileSystem();
  const controller = new AbortController();
  return {
    root,
    config,
    http,
    clock,
    logger,
    fs: fileSystem,
    context: (overrides = {}) => ({
      http,
      fs: fileSystem,
      clock,
      logger,
      config,
      credentials: async () => null,
      modelsRoot: root,
      limiters: [] as BandwidthLimiter[],
      signal: controller.signal,
      ...overrides,
    }),
    dispose: async () => {
      controller.abort();
      await http.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function failureOf(
  promise: Promise<unknown>,
): Promise<Error & { code: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error('expected the promise to reject');
}
