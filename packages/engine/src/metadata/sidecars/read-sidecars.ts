/**
 * Reads the sidecars beside a model, so a library that Civitai Helper, Lora-Manager or A1111
 * already described shows its metadata with no network call. Each unreadable sidecar is an item
 * error with a code; the others still count.
 */
import path from 'node:path';
import { ModeldockError, toModeldockError } from '../../errors';
import { absoluteDestination, assertRealPathInsideRoot } from '../../paths/confine-path';
import type { FileSystem } from '../../ports';
import type { CivitaiVersionRecord } from '../hubs/civitai-records';
import type { MetadataContribution } from '../metadata-model';
import { readSidecarJson } from './sidecar-json';
import type { SidecarJson } from './sidecar-json';
import { a1111Contribution, civitaiInfoFromSidecar, loraManagerContribution } from './sidecar-formats';
import { A1111_SUFFIX, CIVITAI_INFO_SUFFIX, LORA_MANAGER_SUFFIX, PREVIEW_SUFFIXES, sidecarPath } from './sidecar-paths';

export interface SidecarError {
  /** Relative path of the sidecar. */
  target: string;
  code: string;
  message: string;
}

export interface SidecarReading {
  contributions: MetadataContribution[];
  /** The Civitai version a `.civitai.info` (or Lora-Manager's `civitai` key) holds: ids without a lookup. */
  civitaiVersion: CivitaiVersionRecord | null;
  /** Relative path of an existing preview beside the model, or null. */
  previewPath: string | null;
  /** Relative paths of the sidecars found. */
  present: string[];
  errors: SidecarError[];
}

export interface ReadSidecarsInput {
  fs: FileSystem;
  modelsRoot: string;
  /** The model, relative to the models root. */
  relativePath: string;
  civitaiEndpoint: string;
  /** Names in the model's folder, when the caller listed it once for many models: absent names cost no call. */
  folderNames?: ReadonlySet<string>;
}

function listed(input: ReadSidecarsInput, relative: string): boolean {
  return input.folderNames === undefined || input.folderNames.has(path.posix.basename(relative));
}

export async function readSidecars(input: ReadSidecarsInput): Promise<SidecarReading> {
  const reading: SidecarReading = { contributions: [], civitaiVersion: null, previewPath: null, present: [], errors: [] };

  async function readConfined(suffix: string): Promise<SidecarJson> {
    const relative = sidecarPath(input.relativePath, suffix);
    if (!listed(input, relative)) return { kind: 'absent' };
    try {
      const absolute = absoluteDestination(input.modelsRoot, relative);
      if (!(await input.fs.lstat(absolute))) return { kind: 'absent' };
      await assertRealPathInsideRoot(input.fs, input.modelsRoot, absolute);
      const json = await readSidecarJson(input.fs, absolute, path.posix.basename(relative));
      if (json.kind !== 'absent') reading.present.push(relative);
      return json;
    } catch (error) {
      return { kind: 'invalid', error: toModeldockError(error, 'IO_ERROR') };
    }
  }

  function fail(suffix: string, error: ModeldockError): void {
    reading.errors.push({ target: sidecarPath(input.relativePath, suffix), code: error.code, message: error.message });
  }

  const info = await readConfined(CIVITAI_INFO_SUFFIX);
  if (info.kind === 'invalid') fail(CIVITAI_INFO_SUFFIX, info.error);
  if (info.kind === 'ok') {
    const { version, contribution } = civitaiInfoFromSidecar(info.value, input.civitaiEndpoint);
    if (version) {
      reading.civitaiVersion = version;
      reading.contributions.push(contribution);
    } else {
      fail(CIVITAI_INFO_SUFFIX, new ModeldockError('INVALID_SIDECAR', `${path.posix.basename(sidecarPath(input.relativePath, CIVITAI_INFO_SUFFIX))} holds no Civitai model version (no numeric id)`));
    }
  }

  const manager = await readConfined(LORA_MANAGER_SUFFIX);
  if (manager.kind === 'invalid') fail(LORA_MANAGER_SUFFIX, manager.error);
  if (manager.kind === 'ok') {
    reading.contributions.push(loraManagerContribution(manager.value));
    if (!reading.civitaiVersion) {
      const embedded = civitaiInfoFromSidecar(isRecord(manager.value.civitai) ? manager.value.civitai : {}, input.civitaiEndpoint);
      if (embedded.version) reading.civitaiVersion = embedded.version;
    }
  }

  const a1111 = await readConfined(A1111_SUFFIX);
  if (a1111.kind === 'invalid') fail(A1111_SUFFIX, a1111.error);
  if (a1111.kind === 'ok') {
    const contribution = a1111Contribution(a1111.value);
    if (contribution) reading.contributions.push(contribution);
  }

  for (const suffix of PREVIEW_SUFFIXES) {
    const relative = sidecarPath(input.relativePath, suffix);
    if (!listed(input, relative)) continue;
    const stat = await input.fs.stat(absoluteDestination(input.modelsRoot, relative)).catch(() => null);
    if (stat?.isFile && stat.size > 0) {
      reading.previewPath = relative;
      reading.present.push(relative);
      break;
    }
  }
  return reading;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
