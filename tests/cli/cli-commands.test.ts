/**
 * The built `modeldock` command against the built server (access token required) on an ephemeral
 * port, with the fake Hugging Face hub and a plain file origin: add → --wait → done (exit 0), a
 * failing download (exit 1), bad usage (2), an unreachable server (3), a refused token (4), --json
 * documents that parse, `watch` piped (one line per event) and as JSON lines, the other commands,
 * and `keys set` reading the key from standard input: never in the process's command line (what
 * `ps` shows), never in what it prints.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { ggufFile } from '../support/model-bytes';
import { REPO_ROOT, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { commandLineOf, runCli, startCli } from '../support/cli-process';
import type { CliRunOptions } from '../support/cli-process';
import { APPROVED_TOKEN, seedHub } from '../sources/helpers/hf-fixtures';
import { connectHttp, waitFor } from '../e2e/api-client';
import type { Api } from '../e2e/api-client';

const ACCESS_TOKEN = 'cli-test-access-token-0123456789';
const execFileAsync = promisify(execFile);

let cdn: FakeCdn;
let hub: FakeHuggingFace;
let origin: FileOrigin;
let server: ServerProcess;
let api: Api;

function cli(args: string[], options: CliRunOptions = {}) {
  return runCli(args, {
    ...options,
    env: { MODELDOCK_URL: server.url, MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN, ...options.env },
  });
}

function gguf(label: string, size: number): Buffer {
  return ggufFile({ 'general.architecture': 'llama', 'general.name': label }, { totalSize: size });
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  cdn = await startFakeCdn();
  hub = await startFakeHuggingFace({ cdn });
  seedHub(hub);
  hub.addRepo({
    id: 'acme/tiny-llama-GGUF',
    files: [
      { path: 'tiny-llama-Q4_0.gguf', content: gguf('q4', 64 * 1024) },
      { path: 'tiny-llama-Q8_0.gguf', content: gguf('q8', 96 * 1024) },
      { path: 'README.md', content: '# tiny llama\n' },
    ],
  });
  origin = await startFileOrigin();
  server = await startServerProcess({
    env: { MODELDOCK_HF_ENDPOINT: hub.url, MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN },
  });
  api = connectHttp(server.url, { Authorization: `Bearer ${ACCESS_TOKEN}` });
}, 180_000);

afterAll(async () => {
  const exit = await server?.stop('SIGTERM');
  await origin?.close();
  await hub?.close();
  await cdn?.close();
  expect(exit?.code, server?.output()).toBe(0);
});

describe('modeldock add', () => {
  it('--wait downloads a Hugging Face file, prints what the preview resolved, and exits 0', async () => {
    const result = await cli(['add', 'hf://acme/tiny-llama-GGUF/tiny-llama-Q4_0.gguf', '--wait']);
    expect(result.code, result.stderr).toBe(0);
    // The preview: the source, its one file with its size and destination.
    expect(result.stderr).toContain('hf://acme/tiny-llama-GGUF@main/tiny-llama-Q4_0.gguf');
    expect(result.stderr).toMatch(/64\.0 KiB\s+\S*tiny-llama-Q4_0\.gguf/);
    expect(result.stdout).toMatch(/^Done: \S+tiny-llama-Q4_0\.gguf$/m);
    const relativePath = /^Done: (\S+)$/m.exec(result.stdout)![1]!;
    const written = await readFile(path.join(server.modelsDir, relativePath));
    expect(
      written.equals(hub.repo('acme/tiny-llama-GGUF').file('tiny-llama-Q4_0.gguf').bytes),
    ).toBe(true);
  });

  it('--wait --json prints one document with the preview, the queued job and the finished job', async () => {
    const file = origin.addFile('json-model.gguf', { bytes: gguf('json', 8 * 1024) });
    const result = await cli(['add', file.url, '--folder', 'llm', '--wait', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout) as {
      preview: { files: { relativePath: string; bytesTotal: number }[] };
      queued: { jobId: string };
      job: { id: string; status: string; files: { sha256: string }[] };
    };
    expect(document.preview.files).toMatchObject([
      { relativePath: 'llm/json-model.gguf', bytesTotal: 8 * 1024 },
    ]);
    expect(document.job).toMatchObject({ id: document.queued.jobId, status: 'completed' });
    expect(document.job.files[0]!.sha256).toBe(file.sha256);
  });

  it('a download that fails exits 1 with its message and code', async () => {
    const file = origin.addFile('wrong-hash.gguf', { bytes: gguf('wrong', 4 * 1024) });
    const result = await cli(['add', file.url, '--folder', 'diffusion_models', '--sha256', 'ab'.repeat(32), '--wait']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/failed: .+ \[HASH_MISMATCH\]/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('several files are refused without --yes when nobody can answer (exit 2), downloaded with --yes', async () => {
    const refused = await cli(['add', 'acme/tiny-llama-GGUF', '--include', '*.gguf']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Download 2 files \(160 KiB\): standard input is not a terminal.*Pass --yes to confirm\. \[INVALID_USAGE\]/,
    );
    expect((await api.downloads.list.query()).items.map((job) => job.source)).not.toContain(
      'hf://acme/tiny-llama-GGUF@main',
    );

    const accepted = await cli([
      'add',
      'acme/tiny-llama-GGUF',
      '--include',
      '*.gguf',
      '--yes',
      '--wait',
      '--folder',
      'many',
    ]);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(
      /^Done: many\/tiny-llama-Q4_0\.gguf, many\/tiny-llama-Q8_0\.gguf$/m,
    );
  });
});

describe('exit codes', () => {
  it('bad usage exits 2: a missing argument, an unknown option, a bad value, a source the server cannot read', async () => {
    for (const args of [
      ['add'],
      ['ls', '--bogus'],
      ['ls', '--status', 'sleeping'],
      ['add', 'hf://acme/tiny-llama-GGUF/x.gguf', '--priority', 'high'],
    ]) {
      const result = await cli(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/^modeldock: .+ \[INVALID_USAGE\]\n$/);
    }
    const unreadable = await cli(['add', 'this is not a source']);
    expect(unreadable.code, unreadable.stderr).toBe(2);
    expect(unreadable.stderr).toMatch(/\[(UNRECOGNISED_INPUT|INVALID_INPUT|INVALID_URL)\]\n$/);
  });

  it('an unreachable server exits 3, in text and in JSON', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const text = await runCli(['ls', '--url', url]);
    expect(text.code).toBe(3);
    expect(text.stderr).toMatch(/Cannot reach the modeldock server.*\[CONNECTION_REFUSED\]/);
    const json = await runCli(['doctor', '--json'], { env: { MODELDOCK_URL: url } });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'CONNECTION_REFUSED', exitCode: 3 },
    });
  });

  it('a missing or wrong access token exits 4 and says where the token comes from', async () => {
    const wrong = await cli(['ls'], {
      env: { MODELDOCK_ACCESS_TOKEN: 'not-the-right-token-at-all' },
    });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(
      /MODELDOCK_ACCESS_TOKEN is set but the server did not accept it\. \[ACCESS_TOKEN_REQUIRED\]/,
    );
    const missing = await runCli(['add', 'hf://acme/tiny-llama-GGUF/tiny-llama-Q4_0.gguf'], {
      env: { MODELDOCK_URL: server.url },
    });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('Set MODELDOCK_ACCESS_TOKEN in the environment');
  });

  it('--help works on every command and exits 0', async () => {
    for (const args of [
      ['--help'],
      ['add', '--help'],
      ['watch', '--help'],
      ['library', 'rm', '--help'],
      ['keys', 'set', '--help'],
      ['doctor', '--help'],
    ]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/^Usage: modeldock/);
    }
  });
});

describe('modeldock watch', () => {
  it('piped, prints one line per event until the job finishes; --json prints JSON lines', async () => {
    const file = origin.addFile('watched.gguf', { bytes: gguf('watched', 384 * 1024) });
    origin.setThrottle(128 * 1024);
    try {
      const queued = await cli(['add', file.url, '--folder', 'watched', '--json']);
      expect(queued.code, queued.stderr).toBe(0);
      const jobId = (JSON.parse(queued.stdout) as { queued: { jobId: string } }).queued.jobId;
      // Paused while both watchers start, so neither can miss the run however slow the machine.
      expect((await cli(['pause', jobId])).code).toBe(0);
      const env = { MODELDOCK_URL: server.url, MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN };
      const watchers = [
        startCli(['watch', jobId], { env }),
        startCli(['watch', jobId, '--json'], { env }),
      ];
      for (const watcher of watchers) {
        watcher.child.stdin!.end();
        await waitFor(
          () => watcher.stdout().includes(jobId),
          'the watcher to print the current state',
        );
      }
      expect((await cli(['resume', jobId])).code).toBe(0);
      const [lines, jsonLines] = await Promise.all([watchers[0]!.done, watchers[1]!.done]);

      expect(lines.code, lines.stderr).toBe(0);
      const printed = lines.stdout.trimEnd().split('\n');
      expect(printed.length).toBeGreaterThanOrEqual(3);
      for (const line of printed) {
        expect(line).toMatch(
          new RegExp(
            `^\\d{4}-\\d\\d-\\d\\dT\\S+Z (current|created|status|updated|progress)\\s+${jobId}  `,
          ),
        );
      }
      expect(printed.some((line) => / progress .* running .*KiB\/s/.test(line))).toBe(true);
      expect(printed.at(-1)).toMatch(/ status\s+\S+\s+completed\s+100%/);

      expect(jsonLines.code, jsonLines.stderr).toBe(0);
      const events = jsonLines.stdout
        .trimEnd()
        .split('\n')
        .map(
          (line) => JSON.parse(line) as { type: string; jobId: string; job: { status: string } },
        );
      expect(events.every((event) => event.jobId === jobId)).toBe(true);
      expect(events.at(-1)).toMatchObject({ type: 'status', job: { status: 'completed' } });
    } finally {
      origin.setThrottle(null);
    }
  });

  it('pause, resume, cancel and retry control a job by id', async () => {
    const file = origin.addFile('controlled.gguf', { bytes: gguf('controlled', 512 * 1024) });
    origin.setThrottle(64 * 1024);
    try {
      const queued = await cli(['add', file.url, '--folder', 'controlled', '--json']);
      const jobId = (JSON.parse(queued.stdout) as { queued: { jobId: string } }).queued.jobId;
      const paused = await cli(['pause', jobId]);
      expect(paused.code, paused.stderr).toBe(0);
      expect(paused.stdout).toBe(`${jobId}: paused\n`);
      const listed = await cli(['ls', '--status', 'paused', '--json']);
      expect(
        (JSON.parse(listed.stdout) as { items: { id: string }[] }).items.map((job) => job.id),
      ).toContain(jobId);
      expect((await cli(['resume', jobId])).code).toBe(0);
      const cancelled = await cli(['cancel', jobId, '--json']);
      expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: jobId, status: 'cancelled' });
      origin.setThrottle(null);
      expect((await cli(['retry', jobId])).code).toBe(0);
      const watched = await cli(['watch', jobId]);
      expect(watched.code, watched.stderr).toBe(0);
      const missing = await cli(['pause', 'no-such-job']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/\[JOB_NOT_FOUND\]\n$/);
    } finally {
      origin.setThrottle(null);
    }
  });
});

describe('the other commands', () => {
  it('ls, library ls, library missing, tasks and doctor answer in text and as one JSON document', async () => {
    await waitFor(async () => {
      const { items } = await api.library.list.query({ search: 'tiny-llama-Q4_0' });
      return items.length > 0 ? items : null;
    }, 'the downloaded file in the library');
    for (const args of [
      ['ls'],
      ['library', 'ls'],
      ['library', 'missing'],
      ['tasks'],
      ['doctor'],
      ['keys', 'ls'],
    ]) {
      const text = await cli(args);
      expect(text.code, `${args.join(' ')}: ${text.stderr}`).toBe(0);
      const json = await cli([...args, '--json']);
      expect(json.code, `${args.join(' ')} --json: ${json.stderr}`).toBe(0);
      expect(() => JSON.parse(json.stdout), args.join(' ')).not.toThrow();
    }
    const library = JSON.parse((await cli(['library', 'ls', '--json'])).stdout) as {
      items: { relativePath: string }[];
    };
    expect(library.items.map((entry) => entry.relativePath)).toContain('many/tiny-llama-Q8_0.gguf');
    const doctor = JSON.parse((await cli(['doctor', '--json'])).stdout) as {
      ok: boolean;
      checks: { name: string; state: string; detail: string }[];
    };
    expect(doctor.ok).toBe(true);
    expect(doctor.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining(['server', 'database', 'free space', 'models root']),
    );
    expect(doctor.checks.find((check) => check.name === 'models root')).toMatchObject({
      state: 'ok',
    });
  });

  it('library rm deletes a model with --yes and refuses without it when nobody can answer', async () => {
    const { items } = await api.library.list.query({ search: 'tiny-llama-Q8_0' });
    const entry = items.find((item) => item.relativePath === 'many/tiny-llama-Q8_0.gguf')!;
    const refused = await cli(['library', 'rm', entry.id]);
    expect(refused.code).toBe(2);
    const removed = await cli(['library', 'rm', entry.id, '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/^Deleted 1 model, freed 96\.0 KiB\.$/m);
  });

  it('pnpm modeldock runs the command in the checkout', async () => {
    const { stdout } = await execFileAsync('pnpm', ['--silent', 'modeldock', 'ls', '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, MODELDOCK_URL: server.url, MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN },
    });
    expect(JSON.parse(stdout)).toHaveProperty('items');
  });
});

describe('modeldock keys', () => {
  it('set reads the key from standard input: never in the command line (ps), never printed', async () => {
    const running = startCli(['keys', 'set', 'huggingface'], {
      env: { MODELDOCK_URL: server.url, MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN },
    });
    // While it waits for the key, the process is there for anyone to see.
    const commandLine = await commandLineOf(running.child.pid!);
    expect(commandLine).toContain('keys set huggingface');
    running.child.stdin!.end(`${APPROVED_TOKEN}\n`);
    const result = await running.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^Saved\\. huggingface: …${APPROVED_TOKEN.slice(-4)}, valid \\(.+\\)\\n$`),
    );
    expect(commandLine).not.toContain(APPROVED_TOKEN);
    expect(`${result.stdout}${result.stderr}`).not.toContain(APPROVED_TOKEN);

    const listed = await cli(['keys', 'ls', '--json']);
    expect(listed.stdout).not.toContain(APPROVED_TOKEN);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      items: [{ platform: 'huggingface', valid: true }],
    });
    const doctor = JSON.parse((await cli(['doctor', '--json'])).stdout) as {
      checks: { name: string; state: string }[];
    };
    expect(doctor.checks.find((check) => check.name === 'huggingface key')).toMatchObject({
      state: 'ok',
    });

    const removed = await cli(['keys', 'rm', 'huggingface']);
    expect(removed.stdout).toBe('Removed the Hugging Face token.\n');
  });

  it('a key the platform refuses is not saved (exit 1); an empty standard input is bad usage (exit 2)', async () => {
    const refused = await cli(['keys', 'set', 'huggingface'], {
      input: 'hf_FAKEnotAKnownTOKEN00000\n',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not saved.*\[INVALID_TOKEN\]/);
    expect(refused.stderr).not.toContain('hf_FAKEnotAKnownTOKEN00000');
    const empty = await cli(['keys', 'set', 'civitai'], { input: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/No key on standard input.*\[INVALID_USAGE\]/);
  });
});
