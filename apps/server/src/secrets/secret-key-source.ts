/**
 * Where the key that encrypts stored API keys comes from. `MODELDOCK_SECRET_KEY` (the base64 of
 * 32 bytes) when set: servers on several machines sharing one PostgreSQL need the same key.
 * Otherwise `<dataDir>/secret.key`, made once with 32 random bytes and mode 0600. A key file that
 * other users can read, or that holds something else, stops the start with a message saying what
 * to do: guessing would either expose the keys or make every stored key unreadable.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ModeldockError, registerSecret } from '@modeldock/engine';
import { SECRET_KEY_BYTES } from './secret-box';

export const SECRET_KEY_FILE_NAME = 'secret.key';
export const SECRET_KEY_VARIABLE = 'MODELDOCK_SECRET_KEY';

export interface SecretKey {
  bytes: Buffer;
  /** Where it came from, for messages: the variable's name or the file's path. */
  origin: string;
  /** True when this start created the key file. */
  created: boolean;
}

export interface SecretKeySourceOptions {
  dataDir: string;
  /** The value of MODELDOCK_SECRET_KEY (already validated by env.ts), or null. */
  environmentKey: string | null;
}

/** The 32 bytes a base64 text stands for, or null when it is anything else. */
export function decodeSecretKeyText(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === SECRET_KEY_BYTES ? bytes : null;
}

export function secretKeyFilePath(dataDir: string): string {
  return path.join(dataDir, SECRET_KEY_FILE_NAME);
}

export async function loadSecretKey(options: SecretKeySourceOptions): Promise<SecretKey> {
  if (options.environmentKey !== null) {
    const bytes = decodeSecretKeyText(options.environmentKey);
    if (!bytes) {
      throw new ModeldockError(
        'INVALID_INPUT',
        `${SECRET_KEY_VARIABLE} must be the base64 of ${SECRET_KEY_BYTES} random bytes, e.g. the output of \`openssl rand -base64 32\``,
      );
    }
    registerSecret(options.environmentKey.trim());
    return { bytes, origin: SECRET_KEY_VARIABLE, created: false };
  }
  const file = secretKeyFilePath(options.dataDir);
  const created = await createKeyFileOnce(file);
  return { bytes: await readKeyFile(file), origin: file, created };
}

/** Writes a new key beside the final name and links it into place, so no one reads half a key. */
async function createKeyFileOnce(file: string): Promise<boolean> {
  if (await exists(file)) return false;
  const text = `${randomBytes(SECRET_KEY_BYTES).toString('base64')}\n`;
  const staged = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(
    staged,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    0o600,
  ).catch((error: unknown) => {
    throw cannotAccess(file, error);
  });
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  let created = true;
  try {
    // link() never replaces: when another process made the file first, its key is the one.
    await link(staged, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      await unlink(staged).catch(() => undefined);
      throw cannotAccess(file, error);
    }
    created = false;
  }
  await unlink(staged);
  await syncDirectory(path.dirname(file));
  return created;
}

async function readKeyFile(file: string): Promise<Buffer> {
  const info = await stat(file).catch((error: unknown) => {
    throw cannotAccess(file, error);
  });
  if (!info.isFile()) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `${file} is not a file: modeldock keeps the key that encrypts stored API keys there. Move whatever it is away and start again.`,
    );
  }
  const groupOrOthers = info.mode & 0o077;
  if (process.platform !== 'win32' && groupOrOthers !== 0) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `The secret key file ${file} can be read or changed by other users (permissions ${(info.mode & 0o777).toString(8)}): it protects the stored API keys. Run \`chmod 600 ${file}\` and start again.`,
    );
  }
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw cannotAccess(file, error);
  });
  const bytes = decodeSecretKeyText(text);
  if (!bytes) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `The secret key file ${file} does not hold a modeldock secret key (the base64 of ${SECRET_KEY_BYTES} bytes on one line). Restore it from a backup; or delete it to start with a new key, and then enter the API keys again in Settings.`,
    );
  }
  registerSecret(text.trim());
  return bytes;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw cannotAccess(file, error);
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the key is in place either way.
  } finally {
    await handle.close();
  }
}

function cannotAccess(file: string, error: unknown): ModeldockError {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  return new ModeldockError(
    'IO_ERROR',
    `Cannot create or read the secret key file ${file} (${reason}): check that the data folder is writable, or set ${SECRET_KEY_VARIABLE}.`,
    { cause: error },
  );
}
