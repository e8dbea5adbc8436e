/**
 * Reads a secret from standard input: everything piped in (first line, trimmed), or, on a
 * terminal, one line typed without echo. Bounded, so a wrong pipe cannot fill memory.
 */
import { usageError } from './exit-codes';

const MAX_SECRET_BYTES = 16 * 1024;

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_SECRET_BYTES)
      throw usageError('Standard input is too long for an API key: pipe in only the key');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One line from the terminal in raw mode: nothing typed is echoed; Ctrl-C stops. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (outcome: () => void) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      outcome();
    };
    const onData = (data: Buffer) => {
      for (const character of data.toString('utf8')) {
        if (character === '\r' || character === '\n') return done(() => resolve(typed));
        if (character === '\u0003')
          return done(() => reject(usageError('Stopped: no key was saved')));
        if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

export async function readSecretFromStdin(prompt: string): Promise<string> {
  const text = process.stdin.isTTY ? await readHidden(prompt) : await readPiped();
  return (text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '').trim();
}
