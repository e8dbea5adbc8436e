/**
 * Runs the *built* `modeldock` command (packages/cli/dist/modeldock.js, or an installed one) as a
 * child process, the way a script would: arguments, environment, standard input, exit status and
 * what it printed. Nothing from the developer's shell (MODELDOCK_*) leaks into it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './server-process';

export const CLI_ENTRY = path.join(REPO_ROOT, 'packages/cli/dist/modeldock.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string>;
  /** Written to standard input, which is then closed; default: closed at once. */
  input?: string;
  timeoutMs?: number;
  /** Another command to run instead of `node CLI_ENTRY` (an installed `modeldock`). */
  command?: string;
  cwd?: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

function cleanEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(MODELDOCK_|NODE_OPTIONS$)/.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Starts the command and returns at once; standard input stays open until the caller ends it. */
export function startCli(args: string[], options: CliRunOptions = {}): RunningCli {
  if (!options.command && !existsSync(CLI_ENTRY)) {
    throw new Error(`${CLI_ENTRY} is missing: run \`pnpm build\` before the CLI tests`);
  }
  const [file, fileArgs] = options.command
    ? [options.command, args]
    : [process.execPath, [CLI_ENTRY, ...args]];
  const child = spawn(file, fileArgs, {
    cwd: options.cwd ?? REPO_ROOT,
    env: cleanEnvironment(options.env ?? {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs the command to its end. */
export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  const running = startCli(args, options);
  running.child.stdin!.end(options.input ?? '');
  return running.done;
}

/** The command line a process shows to every user of the machine (`ps`), from /proc. */
export function commandLineOf(pid: number): Promise<string> {
  return import('node:fs/promises').then(({ readFile }) =>
    readFile(`/proc/${pid}/cmdline`, 'utf8').then((text) => text.split('\0').join(' ')),
  );
}
