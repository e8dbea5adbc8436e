/**
 * `createLibraryMetadata(ports)`: the metadata domain on the library. Registers the refresh task
 * kinds, answers `library.refresh` / `checkUpdates` / `update`, fills entries' `metadata`, `preview`
 * and `update` fields, counts what is incomplete, finds an entry's thumbnail, and keeps Settings →
 * Metadata. The library calls `describe` on every page it lists and `afterScan` when a scan ends.
 */
import path from 'node:path';
import { ModeldockError } from '../../errors';
import type { EnqueueRequest, EnqueueResult } from '../../download-request';
import type { LibraryEntry } from '../../library/library-entry';
import type { LibraryRow, LibraryStore } from '../../library/library-store';
import type { Clock, FileSystem, HttpClient, Logger } from '../../ports';
import type { RefreshTasks } from '../../tasks/refresh/refresh-tasks';
import type { TaskPriority, TaskTargets } from '../../tasks/refresh/refresh-task';
import type { MetadataHubs } from '../hubs/metadata-hubs';
import { civitaiModelPageUrl } from '../normalise/from-civitai';
import { placeholderSvg } from '../previews/placeholder';
import type { ThumbnailMaker } from '../previews/thumbnail';
import type { MetadataSettings } from '../refresh/metadata-refresh';
import { typeOfFolder } from '../refresh/refresh-target';
import { withMetadataFields } from './entry-fields';
import type { LibraryMetadataStore, MetadataSummary } from './library-metadata-store';
import { applyMetadataSettings, METADATA_SETTINGS_KEY, readMetadataSettings } from './metadata-settings';
import { metadataTaskHandler, SIDECARS_TASK_KIND } from './metadata-tasks';
import type { MetadataLibraryTaskKind } from './metadata-tasks';
import { RECOVERY_TASK_KIND, recoveryTaskHandler } from './recovery-task';
import type { RefreshFailureStore } from '../../maintenance/maintenance-store';

export const REFRESH_KINDS = ['metadata', 'preview', 'full'] as const;
export type RefreshKind = (typeof REFRESH_KINDS)[number];
export const REFRESH_SCOPES = ['incomplete', 'all'] as const;
export type RefreshScope = (typeof REFRESH_SCOPES)[number];
export const UPDATE_CHECK_KIND = 'update-check';
const MAX_IDS = 500;

export interface SettingsPort {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, now: Date): Promise<void>;
}

export interface LibraryMetadataPorts {
  library: Pick<LibraryStore, 'page' | 'getMany' | 'get'>;
  store: LibraryMetadataStore;
  tasks: RefreshTasks;
  settings: SettingsPort;
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  fs: FileSystem;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  hubs: MetadataHubs;
  modelsRoot: string;
  /** `<data>/thumbnails`. */
  thumbnailsDir: string;
  maxRedirects: number;
  makeThumbnail?: ThumbnailMaker;
  /** Refresh failures per entry: with it, the `recovery` task kind (scheduled maintenance) is registered. */
  failures?: RefreshFailureStore;
  /** Entries whose metadata changed (null: many). */
  onChanged(ids: string[] | null): void;
}

export interface RefreshRequest {
  ids?: string[];
  scope?: RefreshScope;
  kind: RefreshKind;
  priority?: TaskPriority;
}

export type Thumbnail =
  | { kind: 'file'; path: string; contentType: 'image/webp' | 'image/svg+xml' }
  | { kind: 'placeholder'; svg: string };

export interface LibraryMetadata {
  refresh(request: RefreshRequest): Promise<{ taskId: string }>;
  checkUpdates(request: { ids?: string[]; scope?: RefreshScope; priority?: TaskPriority }): Promise<{ taskId: string }>;
  /**
   * Queues recovery of incomplete entries in priority order (maintenance). At 'low' priority (the
   * schedule) models that failed the same way three times are skipped; otherwise they are included.
   */
  recover(request: { priority: TaskPriority }): Promise<{ taskId: string }>;
  /** Downloads the newer version: Civitai beside the old file. */
  update(id: string): Promise<{ jobId: string }>;
  describe(entries: LibraryEntry[]): Promise<LibraryEntry[]>;
  summary(): Promise<MetadataSummary>;
  /** The entry's thumbnail, or its generated placeholder; null when there is no such entry. */
  thumbnail(id: string): Promise<Thumbnail | null>;
  getSettings(): Promise<MetadataSettings>;
  setSettings(patch: Partial<MetadataSettings>): Promise<MetadataSettings>;
  /** A scan ended: read sidecars of entries never described (no network). */
  afterScan(): Promise<void>;
  /** Entries were deleted: their thumbnails in the data folder go too. */
  afterDelete(ids: string[]): Promise<void>;
}

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

function targetsOf(ids: string[] | undefined, scope: RefreshScope | undefined): TaskTargets {
  if (ids !== undefined) {
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_IDS || ids.some((id) => typeof id !== 'string' || id.length === 0 || id.length > 64)) {
      throw invalid(`ids must list 1 to ${MAX_IDS} library entry ids`);
    }
    if (scope !== undefined) throw invalid('Send either ids or scope, not both');
    return { scope: 'entries', ids: [...new Set(ids)] };
  }
  if (scope === undefined || scope === 'all') return { scope: 'library' };
  if (scope === 'incomplete') return { scope: 'incomplete' };
  throw invalid(`scope must be one of ${REFRESH_SCOPES.join(', ')}`);
}

export function createLibraryMetadata(ports: LibraryMetadataPorts): LibraryMetadata {
  const { store, tasks } = ports;
  const now = () => new Date(ports.clock.now());
  const getSettings = async () => readMetadataSettings(await ports.settings.get(METADATA_SETTINGS_KEY));
  const taskContext = {
    refresh: {
      fs: ports.fs,
      http: ports.http,
      clock: ports.clock,
      logger: ports.logger,
      hubs: ports.hubs,
      modelsRoot: ports.modelsRoot,
      thumbnailsDir: ports.thumbnailsDir,
      maxRedirects: ports.maxRedirects,
      settings: getSettings,
      makeThumbnail: ports.makeThumbnail,
    },
    library: ports.library,
    store,
    onChanged: (ids: string[]) => ports.onChanged(ids),
  };
  const kinds: MetadataLibraryTaskKind[] = [...REFRESH_KINDS, UPDATE_CHECK_KIND, SIDECARS_TASK_KIND];
  for (const kind of kinds) tasks.register(kind, metadataTaskHandler(taskContext, kind));
  if (ports.failures) tasks.register(RECOVERY_TASK_KIND, recoveryTaskHandler(taskContext, ports.failures, ports.clock));

  async function rowOf(id: unknown): Promise<LibraryRow> {
    const row = typeof id === 'string' && id.length > 0 && id.length <= 64 ? await ports.library.get(id) : null;
    if (!row) throw new ModeldockError('MODEL_NOT_FOUND', `No library entry has the id ${String(id).slice(0, 64)}`);
    return row;
  }

  return {
    async refresh(request) {
      if (!REFRESH_KINDS.includes(request.kind)) throw invalid(`kind must be one of ${REFRESH_KINDS.join(', ')}`);
      const task = await tasks.create(request.kind, targetsOf(request.ids, request.scope), request.priority ?? (request.ids ? 'high' : 'normal'));
      return { taskId: task.id };
    },

    async checkUpdates(request) {
      const task = await tasks.create(UPDATE_CHECK_KIND, targetsOf(request.ids, request.scope), request.priority ?? (request.ids ? 'high' : 'normal'));
      return { taskId: task.id };
    },

    async recover(request) {
      if (!ports.failures) throw new ModeldockError('INTERNAL', 'Recovery needs a refresh failure store');
      const task = await tasks.create(RECOVERY_TASK_KIND, { scope: 'incomplete' }, request.priority);
      return { taskId: task.id };
    },

    async update(id) {
      const row = await rowOf(id);
      const stored = (await store.get([row.id])).get(row.id);
      const update = stored?.update;
      if (!update || update.status !== 'update_available' || !update.latest) {
        throw new ModeldockError('INVALID_STATE', `No newer version of "${row.name}" is known: check for updates first`);
      }
      if (stored.civitai) {
        const versionId = Number(update.latest.id);
        const folder = path.posix.dirname(row.relativePath);
        const result = await ports.enqueue({
          url: civitaiModelPageUrl(ports.hubs.civitaiEndpoint, stored.civitai.modelId, versionId),
          // The new version lands beside the old one; the old file stays.
          folder: folder === '.' ? '' : folder,
        });
        ports.logger.info({ file: row.relativePath, versionId, jobId: result.jobId }, 'downloading the newer version of a model');
        return { jobId: result.jobId };
      }
      throw new ModeldockError(
        'INVALID_STATE',
        `"${row.name}" comes from Hugging Face: replacing it in place is not available yet. Download the new commit from its repository page.`,
      );
    },

    async describe(entries) {
      if (entries.length === 0) return entries;
      const stored = await store.get(entries.map((entry) => entry.id));
      return entries.map((entry) => withMetadataFields(entry, stored.get(entry.id)));
    },

    summary: () => store.summary(),

    async thumbnail(id) {
      if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
      const row = await ports.library.get(id);
      if (!row) return null;
      const stored = (await store.get([id])).get(id);
      const preview = stored?.preview;
      // The name is ours (entry id + extension), but it is read from the database: keep it a plain name.
      if (preview && path.basename(preview.thumbnail) === preview.thumbnail && /\.(webp|svg)$/.test(preview.thumbnail)) {
        const file = path.join(ports.thumbnailsDir, preview.thumbnail);
        if (await ports.fs.stat(file)) {
          return { kind: 'file', path: file, contentType: preview.thumbnail.endsWith('.svg') ? 'image/svg+xml' : 'image/webp' };
        }
      }
      const name = stored?.metadata?.name ?? path.posix.basename(row.relativePath);
      return { kind: 'placeholder', svg: placeholderSvg(name, stored?.metadata?.type ?? typeOfFolder(row.relativePath)) };
    },

    getSettings,

    async setSettings(patch) {
      if (typeof patch !== 'object' || patch === null) throw invalid('Send the settings as an object');
      const next = applyMetadataSettings(await getSettings(), patch);
      await ports.settings.set(METADATA_SETTINGS_KEY, next, now());
      return next;
    },

    async afterScan() {
      await tasks.create(SIDECARS_TASK_KIND, { scope: 'library' }, 'low');
    },

    async afterDelete(ids) {
      const stillThere = (await ports.library.getMany(ids)).map((row) => row.id);
      for (const id of ids) {
        if (stillThere.includes(id) || !/^[0-9A-Za-z-]{1,64}$/.test(id)) continue;
        for (const extension of ['webp', 'svg']) await ports.fs.unlink(path.join(ports.thumbnailsDir, `${id}.${extension}`)).catch(() => undefined);
      }
    },
  };
}
