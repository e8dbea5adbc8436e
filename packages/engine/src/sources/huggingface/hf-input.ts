/**
 * Reads what a user pasted for Hugging Face into a repository, a revision and a selection:
 *
 * - links: `https://huggingface.co/org/name` (the repository), `…/blob|resolve|raw/<rev>/<path>`
 *   (one file), `…/tree/<rev>[/<folder>]` (a folder), `…/commit/<sha>`, with `datasets/` or
 *   `spaces/` in front for those repositories, on huggingface.co, hf.co or the configured endpoint;
 * - `hf://[datasets/|spaces/]org/name[@rev][/path-or-glob]` (the Hub's own fsspec syntax; a revision
 *   containing '/' is percent-encoded, e.g. `@refs%2Fpr%2F1`), and the same without `hf://`.
 *
 * Names are checked before any request: a repository id, revision or path with `..`, control
 * characters or absurd lengths is refused with INVALID_INPUT.
 */
import { ModeldockError } from '../../errors';
import { unrecognisedInputError } from '../accepted-inputs';
import { isGlobPattern } from '../glob-match';

export type HfRepoType = 'model' | 'dataset' | 'space';

export interface HfTarget {
  repoType: HfRepoType;
  repoId: string;
  /** The revision named in the input, or null. */
  revision: string | null;
  /** One file named by the input. */
  filePath: string | null;
  /** A folder whose files are all wanted ('' is never used: the repository root means null). */
  folderPath: string | null;
  /** Globs named in the input (hf://org/name/*.gguf). */
  include: string[];
}

const HUB_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);
const NOT_REPOSITORIES = new Set([
  'api', 'docs', 'blog', 'settings', 'login', 'join', 'papers', 'collections', 'organizations', 'pricing',
  'tasks', 'learn', 'chat', 'posts', 'enterprise', 'models', 'search', 'notifications', 'new', 'new-dataset',
  'new-space', 'inference-endpoints', 'welcome', 'terms-of-service', 'privacy',
]);
const MAX_REPO_ID_LENGTH = 96;
const MAX_REVISION_LENGTH = 255;
const MAX_PATH_LENGTH = 1024;

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

export function validateRepoId(repoId: string): string {
  const parts = repoId.split('/');
  const example = 'use org/name, e.g. black-forest-labs/FLUX.1-schnell';
  if (repoId.length > MAX_REPO_ID_LENGTH) throw invalid(`The Hugging Face repository id is too long (${repoId.length} characters): ${example}`);
  if (parts.length !== 2) throw invalid(`"${repoId.slice(0, 100)}" is not a Hugging Face repository id: ${example}`);
  for (const part of parts) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(part) || /[.-]$/.test(part) || part.includes('--') || part.includes('..')) {
      throw invalid(`"${repoId.slice(0, 100)}" is not a valid Hugging Face repository id: ${example}`);
    }
  }
  return repoId;
}

export function validateRevision(revision: string): string {
  if (
    revision.length === 0 ||
    revision.length > MAX_REVISION_LENGTH ||
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(revision) ||
    revision.includes('..') ||
    revision.startsWith('/') ||
    revision.endsWith('/') ||
    revision.includes('//')
  ) {
    throw invalid(`"${revision.slice(0, 100)}" is not a valid revision: use a branch, tag or commit such as "main"`);
  }
  return revision;
}

export function validateRepoPath(path: string, what = 'file path'): string {
  const segments = path.split('/');
  if (
    path.length === 0 ||
    path.length > MAX_PATH_LENGTH ||
    /[\u0000-\u001f\u007f\\]/.test(path) ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw invalid(`"${path.slice(0, 100)}" is not a valid ${what} inside a repository`);
  }
  return path;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid(`"${segment.slice(0, 100)}" is not a valid part of a Hugging Face link`);
  }
}

function hostOf(endpoint: string): string {
  return new URL(endpoint).host.toLowerCase();
}

/** Cheap check for `accepts`: a Hub link, hf://, or a bare org/name id. */
export function looksLikeHuggingFace(input: string, endpoint: string): boolean {
  const text = input.trim();
  if (/^hf:/i.test(text)) return true;
  const hosts = new Set([...HUB_HOSTS, hostOf(endpoint)]);
  const withoutScheme = text.replace(/^https?:\/\//i, '');
  const host = withoutScheme.split(/[/?#]/, 1)[0]!.toLowerCase();
  if (/^https?:\/\//i.test(text)) return hosts.has(host);
  if (hosts.has(host) && withoutScheme.length > host.length) return true;
  return looksLikeBareRepoId(text);
}

/** `org/name…` with no scheme. Orgs never contain dots, which keeps `example.com/model.bin` out. */
function looksLikeBareRepoId(text: string): boolean {
  return /^(?:(?:datasets|spaces|models)\/)?[A-Za-z0-9][A-Za-z0-9_-]*\/[A-Za-z0-9][^\s:?#]*$/.test(text);
}

/** Splits `org/name[@rev][/rest]` after an optional repo-type prefix. */
function parseCompact(text: string, original: string): HfTarget {
  let rest = text;
  let repoType: HfRepoType = 'model';
  const typeMatch = /^(datasets|spaces|models)\//.exec(rest);
  if (typeMatch) {
    repoType = typeMatch[1] === 'datasets' ? 'dataset' : typeMatch[1] === 'spaces' ? 'space' : 'model';
    rest = rest.slice(typeMatch[0].length);
  }
  const match = /^([^/@]+)\/([^/@]+)(?:@([^/]+))?(?:\/(.*))?$/.exec(rest);
  if (!match) throw unrecognisedInputError(original, 'a Hugging Face id is org/name, optionally @revision and /path');
  const repoId = validateRepoId(`${match[1]}/${match[2]}`);
  const revision = match[3] !== undefined ? validateRevision(decodeSegment(match[3])) : null;
  const tail = match[4] ?? '';
  const target: HfTarget = { repoType, repoId, revision, filePath: null, folderPath: null, include: [] };
  if (tail === '') return target;
  if (isGlobPattern(tail)) {
    target.include = [tail];
  } else if (tail.endsWith('/')) {
    target.folderPath = validateRepoPath(tail.replace(/\/+$/, ''), 'folder');
  } else {
    target.filePath = validateRepoPath(tail);
  }
  return target;
}

function parseLink(url: URL, endpoint: string, original: string): HfTarget {
  const endpointUrl = new URL(endpoint);
  let pathname = url.pathname;
  const endpointPath = endpointUrl.pathname.replace(/\/+$/, '');
  if (url.host.toLowerCase() === endpointUrl.host.toLowerCase() && endpointPath && pathname.startsWith(`${endpointPath}/`)) {
    pathname = pathname.slice(endpointPath.length);
  }
  const raw = pathname.split('/').filter((segment) => segment !== '');
  let repoType: HfRepoType = 'model';
  if (raw[0] === 'api' && (raw[1] === 'models' || raw[1] === 'datasets' || raw[1] === 'spaces')) {
    repoType = raw[1] === 'datasets' ? 'dataset' : raw[1] === 'spaces' ? 'space' : 'model';
    raw.splice(0, 2);
    // /api/models/org/name/revision/<rev> names a revision like /tree/<rev> does.
    if (raw[2] === 'revision') raw[2] = 'tree';
  } else if (raw[0] === 'datasets' || raw[0] === 'spaces') {
    repoType = raw[0] === 'datasets' ? 'dataset' : 'space';
    raw.shift();
  } else if (raw[0] !== undefined && NOT_REPOSITORIES.has(raw[0])) {
    throw unrecognisedInputError(original, 'this Hugging Face page is not a repository or a file');
  }
  if (raw.length < 2) {
    throw unrecognisedInputError(original, 'this looks like a user or organisation page: paste a repository such as https://huggingface.co/org/name');
  }
  const repoId = validateRepoId(`${decodeSegment(raw[0]!)}/${decodeSegment(raw[1]!)}`);
  const target: HfTarget = { repoType, repoId, revision: null, filePath: null, folderPath: null, include: [] };
  const view = raw[2];
  if (view === undefined) return target;
  if (!['blob', 'resolve', 'raw', 'tree', 'commit'].includes(view)) {
    throw unrecognisedInputError(original, `"${view}" pages of a repository cannot be downloaded: paste the repository, a /blob/ or a /tree/ link`);
  }
  let index = 3;
  let revision = raw[index] !== undefined ? decodeSegment(raw[index]!) : null;
  // An unencoded refs/pr/1 or refs/convert/parquet spans three segments.
  if (revision === 'refs' && raw.length >= index + 3) {
    revision = `refs/${decodeSegment(raw[index + 1]!)}/${decodeSegment(raw[index + 2]!)}`;
    index += 2;
  }
  if (revision === null) throw unrecognisedInputError(original, 'the link names no revision');
  target.revision = validateRevision(revision);
  const rest = raw.slice(index + 1).map(decodeSegment).join('/');
  if (view === 'commit') return target;
  if (view === 'tree') {
    if (rest !== '') target.folderPath = validateRepoPath(rest, 'folder');
    return target;
  }
  if (rest === '') throw unrecognisedInputError(original, 'the link names no file');
  target.filePath = validateRepoPath(rest);
  return target;
}

export function parseHuggingFaceInput(input: string, endpoint: string): HfTarget {
  const text = input.trim();
  // URL parsing would silently collapse "a/../b"; a path that tries to climb is refused instead.
  if (/(^|\/)\.\.?(\/|$)/.test(text.split(/[?#]/, 1)[0]!.replace(/^[a-z]+:\/\//i, ''))) {
    throw new ModeldockError('INVALID_INPUT', `"${text.slice(0, 100)}" contains "." or ".." path segments: paste the file path as the Hub shows it`);
  }
  const hfScheme = /^hf:(?:\/\/)?(.*)$/i.exec(text);
  if (hfScheme) return parseCompact(hfScheme[1]!, input);
  let url: URL | null = null;
  try {
    if (/^https?:\/\//i.test(text)) {
      url = new URL(text);
    } else {
      const host = text.split(/[/?#]/, 1)[0]!.toLowerCase();
      if (HUB_HOSTS.has(host) || host === hostOf(endpoint)) url = new URL(`https://${text}`);
    }
  } catch {
    throw unrecognisedInputError(input, 'the link is not a valid URL');
  }
  if (url) return parseLink(url, endpoint, input);
  if (looksLikeBareRepoId(text)) return parseCompact(text, input);
  throw unrecognisedInputError(input);
}
