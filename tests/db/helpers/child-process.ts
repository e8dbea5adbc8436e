/** Runs a TypeScript helper in its own Node process and waits for it to say a line. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TESTS_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningChild {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

export async function startTsChild(
  scriptUrl: URL,
  args: string[],
  readyLine: string,
): Promise<RunningChild> {
  // cwd = tests/, where tsx and the workspace packages resolve.
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(scriptUrl), ...args], {
    cwd: TESTS_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`${readyLine}\n`)) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) =>
      reject(new Error(`child exited (${code}) before "${readyLine}": ${output}`)),
    );
  });
  return {
    child,
    pid: child.pid!,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A pid that certainly belonged to a process that is gone now. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}
