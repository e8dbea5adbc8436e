/**
 * A ResolveContext over real HTTP (undici, no redirect following, like the engine's port), a
 * recording logger, a clock whose sleeps are instant (retry waits are policy, not behaviour under
 * test), and keys from a map.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request as undiciRequest } from 'undici';
import { DEFAULT_ENGINE_CONFIG } from '@modeldock/engine';
import type { Clock, HttpClient, Logger, ResolveContext } from '@modeldock/engine';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';

export interface LoggedLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

export interface TestResolveContext extends ResolveContext {
  logged: LoggedLine[];
  sleeps: number[];
  keys: Map<string, string>;
  cleanup(): Promise<void>;
}

export function undiciHttpClient(): HttpClient {
  return {
    async request(input) {
      const response = await undiciRequest(input.url, { method: input.method, headers: input.headers, signal: input.signal });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      return {
        status: response.statusCode,
        headers,
        body: response.body,
        dump: async () => {
          await response.body.dump().catch(() => undefined);
        },
      };
    },
  };
}

export async function createResolveContext(keys: Record<string, string> = {}): Promise<TestResolveContext> {
  const modelsRoot = await mkdtemp(path.join(os.tmpdir(), 'modeldock-sources-'));
  const logged: LoggedLine[] = [];
  const sleeps: number[] = [];
  const logger: Logger = {
    debug: (fields, message) => logged.push({ level: 'debug', fields, message }),
    info: (fields, message) => logged.push({ level: 'info', fields, message }),
    warn: (fields, message) => logged.push({ level: 'warn', fields, message }),
    error: (fields, message) => logged.push({ level: 'error', fields, message }),
  };
  const clock: Clock = {
    now: () => Date.now(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  const keyMap = new Map(Object.entries(keys));
  return {
    http: undiciHttpClient(),
    fs: nodeFileSystemForTests(),
    clock,
    logger,
    config: DEFAULT_ENGINE_CONFIG,
    credentials: async (kind) => keyMap.get(kind) ?? null,
    modelsRoot,
    logged,
    sleeps,
    keys: keyMap,
    cleanup: () => rm(modelsRoot, { recursive: true, force: true }),
  };
}

/** Resolves with the thrown value, failing the test when nothing was thrown. */
export async function rejectionOf(promise: Promise<unknown>): Promise<{ code: string; message: string; retryable?: boolean; httpStatus?: number; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as never;
  }
  throw new Error('expected a rejection');
}
