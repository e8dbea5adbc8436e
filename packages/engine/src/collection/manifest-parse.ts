/**
 * Reads a manifest a client sent to `library.import`: every field checked, every rejection an
 * INVALID_INPUT naming the field ("manifest.models[3].sha256: …") before anything is looked up.
 * Paths must stay inside the models root; hashes must be 64 hex characters.
 */
import type { ModeldockError } from '../errors';
import { normaliseFolder } from '../paths/confine-path';
import { sanitizeFileName } from '../paths/sanitize-file-name';
import { invalidField, readJsonDocument } from './json-document';
import { MANIFEST_SCHEMA, MANIFEST_VERSION, MAX_MANIFEST_MODELS } from './manifest-schema';
import type {
  CollectionManifest,
  ManifestMetadata,
  ManifestModel,
  ManifestSource,
} from './manifest-schema';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_TEXT = 4096;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(
  value: unknown,
  field: string,
  options: { nullable?: boolean; max?: number } = {},
): string | null {
  if (value === null || value === undefined) {
    if (options.nullable) return null;
    throw invalidField(field, 'is required');
  }
  if (typeof value !== 'string' || value.length === 0)
    throw invalidField(field, 'must be a non-empty string');
  if (value.length > (options.max ?? MAX_TEXT))
    throw invalidField(field, `is longer than ${options.max ?? MAX_TEXT} characters`);
  return value;
}

function positiveId(value: unknown, field: string, nullable: boolean): number | null {
  if ((value === null || value === undefined) && nullable) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidField(field, 'must be a positive whole number');
  }
  return value;
}

function httpUrl(value: unknown, field: string, nullable: boolean): string | null {
  const url = text(value, field, { nullable, max: 8192 });
  if (url === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidField(field, 'is not a link');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw invalidField(field, 'must be an http(s) link');
  return url;
}

/** A relative path inside the models root, normalised; anything that would leave it is refused. */
export function checkRelativePath(value: unknown, field: string): string {
  const raw = text(value, field, { max: 1024 })!;
  if (raw.includes('\\'))
    throw invalidField(field, `"${raw.slice(0, 200)}" must use "/" between folders`);
  let folder: string;
  try {
    folder = normaliseFolder(raw);
  } catch (error) {
    throw invalidField(
      field,
      `"${raw.slice(0, 200)}" leads out of the models folder or holds a name that is not allowed (${(error as ModeldockError).message.split(':')[0]})`,
    );
  }
  const segments = folder.split('/');
  const last = segments[segments.length - 1] ?? '';
  if (folder === '' || sanitizeFileName(last) !== last)
    throw invalidField(field, `"${raw.slice(0, 200)}" is not a file path`);
  return folder;
}

export function checkSha256(value: unknown, field: string, nullable: boolean): string | null {
  if ((value === null || value === undefined) && nullable) return null;
  if (typeof value !== 'string')
    throw invalidField(field, 'must be the SHA-256 as 64 hexadecimal characters');
  const hash = value.trim().toLowerCase();
  if (!SHA256_HEX.test(hash)) {
    throw invalidField(
      field,
      `must be 64 hexadecimal characters (got ${hash.length} characters${/^[0-9a-f]*$/.test(hash) ? '' : ', not all hexadecimal'})`,
    );
  }
  return hash;
}

function parseSource(value: unknown, field: string): ManifestSource | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw invalidField(field, 'must be an object with a "kind" or null');
  switch (value.kind) {
    case 'huggingface': {
      const repo = text(value.repo, `${field}.repo`, { max: 300 })!;
      if (!/^((datasets|spaces)\/)?[\w.-]+\/[\w.-]+$/.test(repo))
        throw invalidField(`${field}.repo`, 'must be "org/name"');
      const filePath = text(value.path, `${field}.path`, { max: 1024 })!;
      if (filePath.split('/').some((segment) => segment === '..' || segment === ''))
        throw invalidField(`${field}.path`, 'is not a path inside the repository');
      const revision = text(value.revision, `${field}.revision`, { nullable: true, max: 200 });
      return { kind: 'huggingface', repo, revision, path: filePath };
    }
    case 'civitai':
      return {
        kind: 'civitai',
        modelId: positiveId(value.modelId, `${field}.modelId`, true),
        versionId: positiveId(value.versionId, `${field}.versionId`, false)!,
        fileId: positiveId(value.fileId, `${field}.fileId`, true),
        url: httpUrl(value.url, `${field}.url`, true),
      };
    case 'url':
      return { kind: 'url', url: httpUrl(value.url, `${field}.url`, false)! };
    default:
      throw invalidField(`${field}.kind`, 'must be "huggingface", "civitai" or "url"');
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value)
    ? value
        .filter((item): item is string => typeof item === 'string')
        .slice(0, 200)
        .map((item) => item.slice(0, 500))
    : [];
}

function optionalText(value: unknown, max = 20_000): string | null {
  return typeof value === 'string' ? value.slice(0, max) : null;
}

/** Metadata is informative: wrong types are dropped, not refused. */
function parseMetadata(value: unknown, field: string): ManifestMetadata | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw invalidField(field, 'must be an object or null');
  return {
    name: optionalText(value.name, 500),
    versionName: optionalText(value.versionName, 500),
    type: optionalText(value.type, 100),
    baseModel: optionalText(value.baseModel, 100),
    trainedWords: stringList(value.trainedWords),
    tags: stringList(value.tags),
    description: optionalText(value.description),
    creator: optionalText(value.creator, 200),
    nsfwLevel:
      typeof value.nsfwLevel === 'number' && Number.isSafeInteger(value.nsfwLevel)
        ? value.nsfwLevel
        : null,
    sourceUrl: optionalText(value.sourceUrl, 2000),
  };
}

function parseModel(value: unknown, field: string): ManifestModel {
  if (!isObject(value)) throw invalidField(field, 'must be an object');
  const sizeBytes = value.sizeBytes;
  if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    throw invalidField(`${field}.sizeBytes`, 'must be a whole number of bytes');
  }
  const model: ManifestModel = {
    path: checkRelativePath(value.path, `${field}.path`),
    sizeBytes,
    sha256: checkSha256(value.sha256, `${field}.sha256`, true),
    source: parseSource(value.source, `${field}.source`),
  };
  if (value.metadata !== undefined)
    model.metadata = parseMetadata(value.metadata, `${field}.metadata`);
  return model;
}

/** The manifest, checked; INVALID_INPUT naming the first bad field otherwise. */
export function parseManifest(input: unknown): CollectionManifest {
  const document = readJsonDocument(input, 'manifest');
  if (document.schema !== MANIFEST_SCHEMA) {
    throw invalidField(
      'manifest.schema',
      `must be "${MANIFEST_SCHEMA}" (this is not a modeldock collection manifest)`,
    );
  }
  if (document.version !== MANIFEST_VERSION) {
    throw invalidField(
      'manifest.version',
      `is ${JSON.stringify(document.version)}; this modeldock reads version ${MANIFEST_VERSION}`,
    );
  }
  if (!Array.isArray(document.models)) throw invalidField('manifest.models', 'must be a list');
  if (document.models.length > MAX_MANIFEST_MODELS)
    throw invalidField('manifest.models', `lists more than ${MAX_MANIFEST_MODELS} models`);
  const seen = new Set<string>();
  const models = document.models.map((value, index) => {
    const model = parseModel(value, `manifest.models[${index}]`);
    if (seen.has(model.path))
      throw invalidField(`manifest.models[${index}].path`, `"${model.path}" is listed twice`);
    seen.add(model.path);
    return model;
  });
  return {
    schema: MANIFEST_SCHEMA,
    version: MANIFEST_VERSION,
    exportedAt: typeof document.exportedAt === 'string' ? document.exportedAt.slice(0, 40) : '',
    generator: typeof document.generator === 'string' ? document.generator.slice(0, 200) : '',
    models,
  };
}
