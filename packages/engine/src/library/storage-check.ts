/**
 * Can downloads land under the models root, and how much room is left? Checked the way a download
 * writes: a small probe file created exclusively, written, fsynced and removed again. What goes
 * wrong is reported as a value (code + message), never thrown: this feeds `modeldock doctor`.
 */
import { toModeldockError } from '../errors';
import type { ErrorCode } from '../errors';
import type { Clock, FileSystem } from '../ports';

export interface StorageCheck {
  /** Absolute, real path of the models root. */
  modelsRoot: string;
  /** Bytes an unprivileged writer can still use there; null when the file system would not say. */
  freeBytes: number | null;
  writable: boolean;
  problem: { code: ErrorCode; message: string } | null;
}

const PROBE = new TextEncoder().encode('modeldock write check\n');
let probeCounter = 0;

/** A hidden name no download or scan uses, unique within this process. */
function probeName(clock: Clock): string {
  probeCounter = (probeCounter + 1) % 1_000_000;
  return `.modeldock-write-check-${clock.now().toString(36)}-${probeCounter}`;
}

async function writeProbe(fs: FileSystem, path: string): Promise<void> {
  const file = await fs.open(path, 'wx');
  try {
    await file.write(PROBE, 0, PROBE.length, 0);
    await file.sync();
  } finally {
    await file.close();
  }
}

export async function checkStorage(
  fs: FileSystem,
  modelsRoot: string,
  clock: Clock,
): Promise<StorageCheck> {
  const freeBytes = await fs.freeBytes(modelsRoot).catch(() => null);
  const probe = `${modelsRoot.replace(/\/+$/, '')}/${probeName(clock)}`;
  let problem: StorageCheck['problem'] = null;
  try {
    await writeProbe(fs, probe);
  } catch (error) {
    const failure = toModeldockError(error, 'IO_ERROR');
    problem = { code: failure.code, message: failure.message };
  }
  // Whatever the write did, no probe is left behind.
  await fs.unlink(probe).catch(() => undefined);
  return { modelsRoot, freeBytes, writable: problem === null, problem };
}
