/**
 * The server's logs (apps/server/src/logging): JSON lines on the console, job events in
 * `<dataDir>/logs/downloads.log`, and no secret in either.
 */
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModeldockError, registerSecret } from '@modeldock/engine';
import { createLoggers } from '../../apps/server/src/logging/create-loggers';
import {
  downloadsLogPath,
  prepareDownloadsLog,
} from '../../apps/server/src/logging/downloads-log-file';

function captureConsole() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

function parseLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('server logging', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'modeldock-logs-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes engine events to the console and to downloads.log as JSON lines; server lines only to the console', async () => {
    const console = captureConsole();
    const loggers = createLoggers({ level: 'info', dataDir, console: console.stream });
    loggers.engine.info({ jobId: 'job-1', status: 'running' }, 'Job started');
    loggers.engine.debug({ jobId: 'job-1' }, 'too chatty for the file');
    loggers.server.info({ url: 'http://127.0.0.1:1' }, 'modeldock started');
    loggers.flush();

    const fileLines = parseLines(await readFile(downloadsLogPath(dataDir), 'utf8'));
    expect(fileLines).toHaveLength(1);
    expect(fileLines[0]).toMatchObject({
      level: 'info',
      jobId: 'job-1',
      status: 'running',
      msg: 'Job started',
    });
    expect(typeof fileLines[0]!.time).toBe('string');

    const consoleLines = parseLines(console.lines.join(''));
    expect(consoleLines.map((line) => line.msg)).toEqual(['Job started', 'modeldock started']);
  });

  it('removes tokens, signed-URL signatures, passwords and registered secrets from fields and messages', async () => {
    const console = captureConsole();
    const loggers = createLoggers({ level: 'debug', dataDir, console: console.stream });
    registerSecret('civitai-key-0123456789');
    const error = new ModeldockError('AUTH_REQUIRED', 'rejected', {
      cause: new Error('GET https://cdn.example/x?X-Amz-Signature=abcdef123 failed'),
    });
    loggers.engine.error(
      {
        url: 'https://huggingface.co/x/resolve/main/a.gguf?token=hf_SECRETtoken123456',
        headers: { authorization: 'Bearer hf_SECRETtoken123456', accept: '*/*' },
        nested: { apiKey: 'plain-key-value', list: ['postgres://md:dbpassword42@db/x'] },
        err: error,
      },
      'Download failed with civitai-key-0123456789 in the message',
    );
    loggers.flush();

    const everything = console.lines.join('') + (await readFile(downloadsLogPath(dataDir), 'utf8'));
    for (const secret of [
      'hf_SECRETtoken123456',
      'abcdef123',
      'plain-key-value',
      'dbpassword42',
      'civitai-key-0123456789',
    ]) {
      expect(everything).not.toContain(secret);
    }
    const [line] = parseLines(console.lines.join(''));
    expect(line).toMatchObject({
      headers: { authorization: '[redacted]', accept: '*/*' },
      nested: { apiKey: '[redacted]' },
    });
    expect(line!.err).toMatchObject({ type: 'ModeldockError', message: 'rejected' });
    expect(String((line!.err as { causes: string[] }).causes[0])).toContain(
      'X-Amz-Signature=[redacted]',
    );
  });

  it('silent keeps the console quiet but still records job events in downloads.log', async () => {
    const console = captureConsole();
    const loggers = createLoggers({ level: 'silent', dataDir, console: console.stream });
    loggers.engine.warn({ jobId: 'j' }, 'Job stalled');
    loggers.server.error({}, 'not shown');
    loggers.flush();
    expect(console.lines).toEqual([]);
    expect(parseLines(await readFile(downloadsLogPath(dataDir), 'utf8'))).toMatchObject([
      { msg: 'Job stalled' },
    ]);
  });

  it('moves an oversized downloads.log aside at start', async () => {
    const file = downloadsLogPath(dataDir);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'x'.repeat(2048));
    expect(prepareDownloadsLog(dataDir, 1024)).toBe(file);
    expect((await stat(`${file}.1`)).size).toBe(2048);
    await expect(stat(file)).rejects.toThrow();
  });
});
