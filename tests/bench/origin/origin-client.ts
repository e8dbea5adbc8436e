/** Starts the origin child process and talks to it: its URLs, file hashes, traffic and CPU. */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { OriginCatalog, OriginReady, OriginTraffic } from './origin-catalog';
import type { OriginRequestMessage } from './origin-process';

const ORIGIN_ENTRY = fileURLToPath(new URL('./origin-process.ts', import.meta.url));

export interface OriginProcess extends OriginReady {
  pid: number;
  traffic(): Promise<OriginTraffic>;
  stop(): Promise<void>;
}

type OriginReply =
  | ({ type: 'ready' } & OriginReady)
  | { type: 'failed'; message: string }
  | { type: 'traffic'; traffic: OriginTraffic };

function nextReply<T extends OriginReply['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<OriginReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: OriginReply) => {
      if (message.type === 'failed') {
        cleanup();
        reject(new Error(`The bench origin failed to start:\n${message.message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as Extract<OriginReply, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`The bench origin exited (${code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function startOriginProcess(catalog: OriginCatalog): Promise<OriginProcess> {
  const child = fork(ORIGIN_ENTRY, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = nextReply(child, 'ready');
  child.send({ type: 'start', catalog } satisfies OriginRequestMessage);
  let started: OriginReady;
  try {
    started = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    pid: child.pid!,
    plainUrl: started.plainUrl,
    throttledUrl: started.throttledUrl,
    hubUrl: started.hubUrl,
    sha256: started.sha256,
    async traffic() {
      const reply = nextReply(child, 'traffic');
      child.send({ type: 'traffic' } satisfies OriginRequestMessage);
      return (await reply).traffic;
    },
    async stop() {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
