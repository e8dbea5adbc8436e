/**
 * `createAppSettings`: reads and changes the one settings object in the store every process shares.
 * `update` checks the whole change first (nothing is stored on bad input) and tells listeners;
 * `reload` reads the store again (another process may have changed it) and tells listeners when the
 * settings differ from what this process last saw.
 */
import type { Clock } from '../ports';
import type { SettingsPort } from '../metadata/library/library-metadata';
import { APP_SETTINGS_KEYS, applyAppSettingsPatch, readAppSettings } from './app-settings';
import type { AppSettings, AppSettingsDefaults } from './app-settings';

export interface AppSettingsServiceOptions {
  store: SettingsPort;
  clock: Clock;
  defaults?: AppSettingsDefaults;
}

export interface AppSettingsService {
  get(): Promise<AppSettings>;
  /** Throws INVALID_INPUT naming the field; stores nothing then. */
  update(patch: unknown): Promise<AppSettings>;
  /** The settings as last read or written here (defaults before the first read). */
  current(): AppSettings;
  /** Reads the store again; true when the settings changed since last seen. */
  reload(): Promise<boolean>;
  subscribe(listener: (settings: AppSettings) => void): () => void;
}

const PARTS = Object.keys(APP_SETTINGS_KEYS) as Array<keyof AppSettings>;

export function createAppSettings(options: AppSettingsServiceOptions): AppSettingsService {
  const { store, defaults } = options;
  const listeners = new Set<(settings: AppSettings) => void>();
  let latest: AppSettings = readAppSettings({}, defaults);
  let updating: Promise<unknown> = Promise.resolve();

  async function read(): Promise<AppSettings> {
    const values = await Promise.all(PARTS.map((part) => store.get(APP_SETTINGS_KEYS[part])));
    return readAppSettings(Object.fromEntries(PARTS.map((part, index) => [part, values[index]])), defaults);
  }

  function publish(settings: AppSettings): void {
    for (const listener of listeners) listener(settings);
  }

  async function reload(): Promise<boolean> {
    const settings = await read();
    const changed = JSON.stringify(settings) !== JSON.stringify(latest);
    latest = settings;
    if (changed) publish(settings);
    return changed;
  }

  return {
    async get() {
      await reload();
      return latest;
    },
    update(patch) {
      // One change at a time in this process, so two quick changes do not undo each other.
      const run = updating.then(async () => {
        const current = await read();
        const next = applyAppSettingsPatch(current, patch);
        const now = new Date(options.clock.now());
        for (const part of PARTS) {
          if (JSON.stringify(next[part]) !== JSON.stringify(current[part])) await store.set(APP_SETTINGS_KEYS[part], next[part], now);
        }
        latest = next;
        publish(next);
        return next;
      });
      updating = run.catch(() => undefined);
      return run;
    },
    current: () => latest,
    reload,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
