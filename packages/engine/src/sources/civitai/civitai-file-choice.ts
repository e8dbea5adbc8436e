/**
 * Which file of a Civitai model version to download, and the download link that names exactly it.
 * With no filters: the version's primary file. With filters (type, format, size, fp, quantType,
 * matched case-insensitively) or a fileId: the one file they single out; none is ENTRY_NOT_FOUND and
 * several is AMBIGUOUS_INPUT, both listing the files there are.
 */
import { ModeldockError } from '../../errors';
import { cleanServerText } from '../hub-http';
import type { CivitaiFileChoice } from '../../download-request';
import type { CivitaiFile, CivitaiVersion } from './civitai-api';

const FILTER_KEYS = ['type', 'format', 'size', 'fp', 'quantType'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

function valueOf(file: CivitaiFile, key: FilterKey): string | null {
  return key === 'type' ? file.type : file.metadata[key];
}

export function describeCivitaiFile(file: CivitaiFile): string {
  const traits = FILTER_KEYS.map((key) => valueOf(file, key)).filter((value): value is string => value !== null);
  return `${cleanServerText(file.name, 200) ?? 'a file'} (${[...traits, `fileId ${file.id}`].join(', ')})`;
}

function listFiles(files: CivitaiFile[]): string {
  return files.map(describeCivitaiFile).join('; ');
}

function activeFilters(choice: CivitaiFileChoice): Array<[FilterKey, string]> {
  const filters: Array<[FilterKey, string]> = [];
  for (const key of FILTER_KEYS) {
    const value = choice[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.trim() === '' || value.length > 64) {
      throw new ModeldockError('INVALID_INPUT', `civitaiFile.${key} must be a short text such as "SafeTensor"`);
    }
    filters.push([key, value.trim()]);
  }
  return filters;
}

function matches(file: CivitaiFile, filters: Array<[FilterKey, string]>): boolean {
  return filters.every(([key, wanted]) => (valueOf(file, key) ?? '').toLowerCase() === wanted.toLowerCase());
}

export function chooseCivitaiFile(version: CivitaiVersion, choice: CivitaiFileChoice): CivitaiFile {
  const files = version.files;
  const label = `model version ${version.id}`;
  const filters = activeFilters(choice);
  const wanted = filters.map(([key, value]) => `${key}=${value}`).join(', ');

  if (choice.fileId !== undefined) {
    const file = files.find((candidate) => candidate.id === choice.fileId);
    if (!file) {
      throw new ModeldockError('ENTRY_NOT_FOUND', `Civitai ${label} has no file with id ${choice.fileId}; its files: ${listFiles(files)}`);
    }
    if (!matches(file, filters)) {
      throw new ModeldockError('AMBIGUOUS_INPUT', `File ${choice.fileId} of ${label} does not match ${wanted}: give either the file id or the filters`);
    }
    return file;
  }

  const candidates = filters.length === 0 ? files : files.filter((file) => matches(file, filters));
  if (candidates.length === 0) {
    throw new ModeldockError('ENTRY_NOT_FOUND', `No file of Civitai ${label} matches ${wanted}; its files: ${listFiles(files)}`);
  }
  if (candidates.length === 1) return candidates[0]!;
  const primary = candidates.filter((file) => file.primary);
  if (primary.length === 1) return primary[0]!;
  if (filters.length === 0) {
    const models = candidates.filter((file) => (file.type ?? '').toLowerCase() === 'model');
    if (models.length === 1) return models[0]!;
  }
  throw new ModeldockError(
    'AMBIGUOUS_INPUT',
    `Several files of Civitai ${label}${wanted ? ` match ${wanted}` : ''} and none is marked primary: choose one with civitaiFile (type, format, size, fp or fileId): ${listFiles(candidates)}`,
  );
}

/**
 * `/api/download/models/{versionId}` with the chosen file's own type/format/size/fp. Named even for
 * the primary file: without them Civitai serves the file the *account's* preferences pick, which may
 * not be the one whose hash we expect.
 */
export function civitaiDownloadUrl(endpoint: string, version: CivitaiVersion, file: CivitaiFile): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = valueOf(file, key);
    if (value !== null) params.set(key, value);
  }
  const twins = version.files.filter((other) => other.id !== file.id && FILTER_KEYS.every((key) => valueOf(other, key) === valueOf(file, key)));
  if (twins.length > 0) params.set('fileId', String(file.id));
  const query = params.toString();
  return `${endpoint}/api/download/models/${version.id}${query ? `?${query}` : ''}`;
}
