/**
 * fsync of a directory, shared by the renames that land in it close together: a caller waits for
 * the next directory fsync that starts after its rename (group commit), so the files of a bundle
 * finishing together in one folder cost a few directory fsyncs instead of one each. Each caller
 * still returns only once an fsync that began after its own rename has completed.
 */
import type { FileSystem } from '../ports';

interface DirectorySyncState {
  /** The fsync in progress; it may have started before the caller's rename. */
  running: Promise<void> | null;
  /** The fsync queued to start when `running` ends; it covers every rename made before then. */
  queued: Promise<void> | null;
}

const statesByFileSystem = new WeakMap<FileSystem, Map<string, DirectorySyncState>>();

export function syncDirectoryShared(fs: FileSystem, directory: string): Promise<void> {
  let states = statesByFileSystem.get(fs);
  if (!states) {
    states = new Map();
    statesByFileSystem.set(fs, states);
  }
  const known = states.get(directory);
  const state: DirectorySyncState = known ?? { running: null, queued: null };
  if (!known) states.set(directory, state);

  const start = (): Promise<void> => {
    const sync = fs.syncDirectory(directory);
    state.running = sync;
    const forget = () => {
      if (state.running === sync) state.running = null;
      if (state.running === null && state.queued === null) states.delete(directory);
    };
    sync.then(forget, forget);
    return sync;
  };

  if (state.queued) return state.queued;
  if (!state.running) return start();
  const queued = state.running
    .catch(() => undefined)
    .then(() => {
      state.queued = null;
      return start();
    });
  state.queued = queued;
  return queued;
}
