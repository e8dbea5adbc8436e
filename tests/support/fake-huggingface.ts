/**
 * A fake Hugging Face Hub on 127.0.0.1, faithful to what the Hub does on the wire:
 * - `/{prefix}{repo}/resolve/{rev}/{path}`: an LFS file → 302 to a presigned URL on a separate fake
 *   CDN (another port, so another host) with X-Repo-Commit, X-Linked-Etag ("<sha256>") and
 *   X-Linked-Size, the redirect's Content-Length being its own short body; a regular file → 307 to a
 *   relative /api/resolve-cache/… URL that answers 200 with the git blob sha1 as ETag; private and
 *   gated repositories and 0-byte files → 200 with the bytes directly (ranges honoured);
 *   a renamed repository → 307 to the new name, relative;
 * - errors with X-Error-Code / X-Error-Message: RepoNotFound (401 anonymous, 404 signed in),
 *   GatedRepo (401 anonymous, 403 not approved), RevisionNotFound, EntryNotFound; a bad token gets
 *   401 "Invalid credentials in Authorization header" on every route;
 * - `/api/{models|datasets|spaces}/{repo}[/revision/{rev}]` (sha, siblings, author, tags,
 *   pipeline_tag, library_name, cardData {license, base_model} when the repository has them) and
 *   `/api/…/{repo}/tree/{rev}[/{path}]?recursive=true`, paginated with `Link: <…>; rel="next"` in
 *   pages of `treePageSize` (small by default so pagination is always exercised);
 * - `/api/whoami-v2`; 429 with `RateLimit: "api";r=0;t=<s>` on demand.
 * Repositories hold real bytes; the fake computes their sha256 and git sha1. Requests are recorded.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, listen, lowercaseHeaders, serveBytes, sha256Hex, startFakeCdn } from './fake-cdn';
import type { FakeCdn, RecordedRequest } from './fake-cdn';

export type FakeHfRepoType = 'model' | 'dataset' | 'space';

export interface FakeHfFileInput {
  path: string;
  content: Buffer | string;
  /** Stored with LFS (and served through the CDN); default: weight files (.safetensors, .gguf, …). */
  lfs?: boolean;
}

export interface FakeHfRepoSpec {
  id: string;
  type?: FakeHfRepoType;
  files: FakeHfFileInput[];
  /** Downloads need an approved account; listings stay public, as on the Hub. */
  gated?: boolean;
  private?: boolean;
  /** Accounts that may read a private repository or were approved for a gated one. */
  allowedUsers?: string[];
  /** Default branch, "main" unless given. */
  branch?: string;
  /** Tags pointing at the first commit. */
  tags?: string[];
  /** What model info says about the repository (pipeline tag, tags, library, card data). */
  info?: FakeHfModelInfoSpec;
}

export interface FakeHfModelInfoSpec {
  pipelineTag?: string;
  /** Hub tags (e.g. "diffusers", "lora", "license:apache-2.0"). */
  tags?: string[];
  libraryName?: string;
  license?: string;
  /** cardData.base_model: one id or several. */
  baseModel?: string | string[];
}

export interface FakeHfFile {
  path: string;
  bytes: Buffer;
  size: number;
  sha256: string;
  /** sha1("blob <len>\0" + bytes): the ETag of a regular file. */
  gitSha1: string;
  lfs: boolean;
}

export interface FakeHfRepo {
  id: string;
  type: FakeHfRepoType;
  /** Commit ids, oldest first. */
  commits: string[];
  /** The commit a branch or tag points at. */
  head(ref?: string): string;
  /** A file at a commit (default: the default branch's head). */
  file(path: string, commit?: string): FakeHfFile;
}

export interface FakeHuggingFace {
  url: string;
  origin: string;
  cdn: FakeCdn;
  requests: RecordedRequest[];
  treePageSize: number;
  addRepo(spec: FakeHfRepoSpec): FakeHfRepo;
  /** A registered repository by its current id. */
  repo(repoId: string, type?: FakeHfRepoType): FakeHfRepo;
  /** A new commit on `branch` (default branch by default) changing or adding files; returns its id. */
  commit(repoId: string, files: FakeHfFileInput[], options?: { branch?: string; type?: FakeHfRepoType }): string;
  renameRepo(from: string, to: string, type?: FakeHfRepoType): void;
  /** A token the Hub accepts, belonging to `user`. */
  addToken(token: string, user: string): void;
  grantAccess(repoId: string, user: string, type?: FakeHfRepoType): void;
  /** The next `count` requests get 429. */
  rateLimitNext(count: number, resetSeconds?: number): void;
  close(): Promise<void>;
}

export interface FakeHuggingFaceOptions {
  /** Shared CDN; one is started (and closed with the hub) when not given. */
  cdn?: FakeCdn;
  treePageSize?: number;
  signedUrlTtlMs?: number;
}

interface RepoState {
  id: string;
  type: FakeHfRepoType;
  gated: boolean;
  isPrivate: boolean;
  allowedUsers: Set<string>;
  defaultBranch: string;
  refs: Map<string, string>;
  snapshots: Map<string, Map<string, FakeHfFile>>;
  commits: string[];
  info: FakeHfModelInfoSpec;
}

const LFS_BY_DEFAULT = /\.(safetensors|sft|gguf|bin|ckpt|pt|pth|onnx|h5|msgpack|pkl|zip|parquet)$/i;
const TYPE_SEGMENT: Record<string, FakeHfRepoType> = { models: 'model', datasets: 'dataset', spaces: 'space' };
const TYPE_PREFIX: Record<FakeHfRepoType, string> = { model: '', dataset: 'datasets/', space: 'spaces/' };
const KIND_WORD: Record<FakeHfRepoType, string> = { model: 'model', dataset: 'dataset', space: 'space' };

function toFile(input: FakeHfFileInput): FakeHfFile {
  const bytes = Buffer.isBuffer(input.content) ? input.content : Buffer.from(input.content);
  const gitSha1 = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  return {
    path: input.path,
    bytes,
    size: bytes.length,
    sha256: sha256Hex(bytes),
    gitSha1,
    lfs: input.lfs ?? LFS_BY_DEFAULT.test(input.path),
  };
}

function keyOf(type: FakeHfRepoType, id: string): string {
  return `${type}:${id}`;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

function hubError(response: ServerResponse, status: number, code: string | null, message: string, headOnly: boolean): void {
  const headers: Record<string, string> = { 'x-error-message': message };
  if (code) headers['x-error-code'] = code;
  if (headOnly) {
    response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
    response.end();
    return;
  }
  sendJson(response, status, { error: message }, headers);
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export async function startFakeHuggingFace(options: FakeHuggingFaceOptions = {}): Promise<FakeHuggingFace> {
  const ownCdn = options.cdn === undefined;
  const cdn = options.cdn ?? (await startFakeCdn());
  const repos = new Map<string, RepoState>();
  const renamed = new Map<string, string>();
  const tokens = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  let commitCounter = 0;
  let rateLimit = { count: 0, resetSeconds: 1 };
  let origin = '';

  const hub: FakeHuggingFace = {
    url: '',
    origin: '',
    cdn,
    requests,
    treePageSize: options.treePageSize ?? 2,
    addRepo,
    repo(repoId, type = 'model') {
      const state = repos.get(keyOf(type, repoId));
      if (!state) throw new Error(`no repo ${repoId}`);
      return view(state);
    },
    commit,
    renameRepo(from, to, type = 'model') {
      const state = repos.get(keyOf(type, from));
      if (!state) throw new Error(`no repo ${from}`);
      repos.delete(keyOf(type, from));
      state.id = to;
      repos.set(keyOf(type, to), state);
      renamed.set(keyOf(type, from), to);
    },
    addToken(token, user) {
      tokens.set(token, user);
    },
    grantAccess(repoId, user, type = 'model') {
      repos.get(keyOf(type, repoId))?.allowedUsers.add(user);
    },
    rateLimitNext(count, resetSeconds = 1) {
      rateLimit = { count, resetSeconds };
    },
    close: async () => {
      await closeServer(server);
      if (ownCdn) await cdn.close();
    },
  };

  function newCommitId(repoId: string): string {
    commitCounter++;
    return createHash('sha1').update(`${repoId}:${commitCounter}:${Date.now()}`).digest('hex');
  }

  function publish(state: RepoState, files: Map<string, FakeHfFile>, branch: string): string {
    const id = newCommitId(state.id);
    for (const file of files.values()) {
      if (file.lfs && !cdn.get(`lfs/${file.sha256}`)) cdn.put(file.bytes, `lfs/${file.sha256}`);
    }
    state.snapshots.set(id, files);
    state.commits.push(id);
    state.refs.set(branch, id);
    return id;
  }

  function view(state: RepoState): FakeHfRepo {
    return {
      get id() {
        return state.id;
      },
      type: state.type,
      commits: state.commits,
      head: (ref = state.defaultBranch) => {
        const commitId = state.refs.get(ref);
        if (!commitId) throw new Error(`no ref ${ref}`);
        return commitId;
      },
      file: (path, commitId = state.refs.get(state.defaultBranch)!) => {
        const file = state.snapshots.get(commitId)?.get(path);
        if (!file) throw new Error(`no file ${path} at ${commitId}`);
        return file;
      },
    };
  }

  function addRepo(spec: FakeHfRepoSpec): FakeHfRepo {
    const type = spec.type ?? 'model';
    const state: RepoState = {
      id: spec.id,
      type,
      gated: spec.gated ?? false,
      isPrivate: spec.private ?? false,
      allowedUsers: new Set(spec.allowedUsers ?? []),
      defaultBranch: spec.branch ?? 'main',
      refs: new Map(),
      snapshots: new Map(),
      commits: [],
      info: spec.info ?? {},
    };
    repos.set(keyOf(type, spec.id), state);
    const first = publish(state, new Map(spec.files.map((input) => [input.path, toFile(input)])), state.defaultBranch);
    for (const tag of spec.tags ?? []) state.refs.set(tag, first);
    return view(state);
  }

  function commit(repoId: string, files: FakeHfFileInput[], commitOptions: { branch?: string; type?: FakeHfRepoType } = {}): string {
    const state = repos.get(keyOf(commitOptions.type ?? 'model', repoId));
    if (!state) throw new Error(`no repo ${repoId}`);
    const branch = commitOptions.branch ?? state.defaultBranch;
    const base = state.snapshots.get(state.refs.get(branch) ?? state.refs.get(state.defaultBranch)!)!;
    const next = new Map(base);
    for (const input of files) next.set(input.path, toFile(input));
    return publish(state, next, branch);
  }

  function resolveRevision(state: RepoState, revision: string): string | null {
    const byRef = state.refs.get(revision);
    if (byRef) return byRef;
    return state.snapshots.has(revision) ? revision : null;
  }

  /** The signed-in user, null when anonymous, or 'invalid' for a token the Hub does not know. */
  function userOf(request: IncomingMessage): string | null | 'invalid' {
    const header = request.headers.authorization;
    if (!header) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return (match && tokens.get(match[1]!)) ?? 'invalid';
  }

  /** Applies the Hub's access rules; returns false after answering with the error. */
  function checkAccess(
    state: RepoState | undefined,
    repoId: string,
    type: FakeHfRepoType,
    user: string | null,
    forContent: boolean,
    response: ServerResponse,
    headOnly: boolean,
  ): state is RepoState {
    const allowed = (repo: RepoState) => user !== null && repo.allowedUsers.has(user);
    if (!state || (state.isPrivate && !allowed(state))) {
      hubError(response, user ? 404 : 401, 'RepoNotFound', 'Repository not found', headOnly);
      return false;
    }
    if (forContent && state.gated && !allowed(state)) {
      const page = `${origin}/${TYPE_PREFIX[type]}${repoId}`;
      if (user) {
        hubError(response, 403, 'GatedRepo', `Access to ${KIND_WORD[type]} ${repoId} is restricted and you are not in the authorized list. Visit ${page} to ask for access.`, headOnly);
      } else {
        hubError(response, 401, 'GatedRepo', `Access to ${KIND_WORD[type]} ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`, headOnly);
      }
      return false;
    }
    return true;
  }

  function redirectIfRenamed(type: FakeHfRepoType, repoId: string, rebuild: (newId: string) => string, response: ServerResponse): boolean {
    const newId = renamed.get(keyOf(type, repoId));
    if (!newId || repos.has(keyOf(type, repoId))) return false;
    response.writeHead(307, { location: rebuild(newId), 'content-length': '0' });
    response.end();
    return true;
  }

  function serveResolve(request: IncomingMessage, response: ServerResponse, type: FakeHfRepoType, repoId: string, revision: string, path: string, user: string | null): void {
    const headOnly = request.method === 'HEAD';
    const rest = `resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
    if (redirectIfRenamed(type, repoId, (newId) => `/${TYPE_PREFIX[type]}${newId}/${rest}`, response)) return;
    const state = repos.get(keyOf(type, repoId));
    if (!checkAccess(state, repoId, type, user, true, response, headOnly)) return;
    const commitId = resolveRevision(state, revision);
    if (!commitId) return hubError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`, headOnly);
    const file = state.snapshots.get(commitId)!.get(path);
    if (!file) return hubError(response, 404, 'EntryNotFound', 'Entry not found', headOnly);
    const common = { 'x-repo-commit': commitId };
    if (state.isPrivate || state.gated || file.size === 0) {
      serveBytes(request, response, file.bytes, common, `"${file.lfs ? file.sha256 : file.gitSha1}"`);
      return;
    }
    if (file.lfs) {
      const location = cdn.signedUrl(`lfs/${file.sha256}`, { filename: path.split('/').pop(), ttlMs: options.signedUrlTtlMs });
      const body = `Found. Redirecting to ${location}`;
      response.writeHead(302, {
        ...common,
        location,
        'x-linked-etag': `"${file.sha256}"`,
        'x-linked-size': String(file.size),
        etag: `"${file.sha256}"`,
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
      });
      response.end(headOnly ? undefined : body);
      return;
    }
    const location = `/api/resolve-cache/${type}s/${repoId}/${commitId}/${encodePath(path)}?%2F${encodeURIComponent(repoId)}%2Fresolve%2F${encodeURIComponent(revision)}%2F${encodeURIComponent(path)}=&etag=%22${file.gitSha1}%22`;
    const body = `Temporary Redirect. Redirecting to ${location}`;
    response.writeHead(307, { ...common, location, etag: `"${file.gitSha1}"`, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
    response.end(headOnly ? undefined : body);
  }

  function serveResolveCache(request: IncomingMessage, response: ServerResponse, type: FakeHfRepoType, repoId: string, commitId: string, path: string, user: string | null): void {
    const headOnly = request.method === 'HEAD';
    const state = repos.get(keyOf(type, repoId));
    if (!checkAccess(state, repoId, type, user, true, response, headOnly)) return;
    const file = state.snapshots.get(commitId)?.get(path);
    if (!file) return hubError(response, 404, 'EntryNotFound', 'Entry not found', headOnly);
    serveBytes(request, response, file.bytes, { 'x-repo-commit': commitId }, `"${file.gitSha1}"`);
  }

  function serveInfo(request: IncomingMessage, response: ServerResponse, url: URL, type: FakeHfRepoType, repoId: string, revision: string, user: string | null): void {
    const state = repos.get(keyOf(type, repoId));
    if (!checkAccess(state, repoId, type, user, false, response, false)) return;
    const commitId = resolveRevision(state, revision);
    if (!commitId) return hubError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`, false);
    const withBlobs = url.searchParams.get('blobs') === 'true';
    const files = [...state.snapshots.get(commitId)!.values()].sort((a, b) => a.path.localeCompare(b.path));
    sendJson(response, 200, {
      _id: createHash('md5').update(repoId).digest('hex').slice(0, 24),
      id: repoId,
      private: state.isPrivate,
      gated: state.gated ? 'manual' : false,
      disabled: false,
      sha: commitId,
      lastModified: new Date(0).toISOString(),
      author: repoId.split('/')[0],
      tags: state.info.tags ?? [],
      ...(state.info.pipelineTag ? { pipeline_tag: state.info.pipelineTag } : {}),
      ...(state.info.libraryName ? { library_name: state.info.libraryName } : {}),
      ...(state.info.license || state.info.baseModel
        ? { cardData: { ...(state.info.license ? { license: state.info.license } : {}), ...(state.info.baseModel ? { base_model: state.info.baseModel } : {}) } }
        : {}),
      siblings: files.map((file) =>
        withBlobs
          ? { rfilename: file.path, size: file.size, blobId: file.gitSha1, ...(file.lfs ? { lfs: { sha256: file.sha256, size: file.size, pointerSize: 134 } } : {}) }
          : { rfilename: file.path },
      ),
    });
  }

  function serveTree(response: ServerResponse, url: URL, type: FakeHfRepoType, repoId: string, revision: string, folder: string, user: string | null): void {
    const state = repos.get(keyOf(type, repoId));
    if (!checkAccess(state, repoId, type, user, false, response, false)) return;
    const commitId = resolveRevision(state, revision);
    if (!commitId) return hubError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`, false);
    const recursive = url.searchParams.get('recursive') === 'true';
    const prefix = folder === '' ? '' : `${folder}/`;
    const files = [...state.snapshots.get(commitId)!.values()].filter((file) => file.path.startsWith(prefix));
    if (folder !== '' && files.length === 0) {
      return hubError(response, 404, 'EntryNotFound', `${folder} does not exist on "${revision}"`, false);
    }
    const entries = new Map<string, Record<string, unknown>>();
    for (const file of files) {
      const relative = file.path.slice(prefix.length).split('/');
      for (let depth = 1; depth < relative.length; depth++) {
        if (!recursive && depth > 1) break;
        const directory = prefix + relative.slice(0, depth).join('/');
        entries.set(directory, { type: 'directory', oid: createHash('sha1').update(directory).digest('hex'), size: 0, path: directory });
      }
      if (!recursive && relative.length > 1) continue;
      entries.set(file.path, {
        type: 'file',
        oid: file.gitSha1,
        size: file.size,
        path: file.path,
        ...(file.lfs ? { lfs: { oid: file.sha256, size: file.size, pointerSize: 134 } } : {}),
      });
    }
    const all = [...entries.values()].sort((a, b) => String(a.path).localeCompare(String(b.path)));
    const cursor = url.searchParams.get('cursor');
    const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) : 0;
    const page = all.slice(start, start + hub.treePageSize);
    const headers: Record<string, string> = {};
    if (start + hub.treePageSize < all.length) {
      const next = new URL(url.toString());
      next.searchParams.set('cursor', Buffer.from(String(start + hub.treePageSize)).toString('base64url'));
      headers.link = `<${origin}${next.pathname}${next.search}>; rel="next"`;
    }
    sendJson(response, 200, page, headers);
  }

  function route(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', origin);
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: lowercaseHeaders(request) });
    const headOnly = request.method === 'HEAD';
    if (rateLimit.count > 0) {
      rateLimit.count--;
      sendJson(response, 429, { error: 'You have exceeded our hourly quotas for action: resolvers' }, {
        ratelimit: `"resolvers";r=0;t=${rateLimit.resetSeconds}`,
        'ratelimit-policy': '"fixed window";"resolvers";q=3000;w=300',
      });
      return;
    }
    const user = userOf(request);
    if (user === 'invalid') {
      hubError(response, 401, null, 'Invalid credentials in Authorization header', headOnly);
      return;
    }
    let segments: string[];
    try {
      segments = url.pathname.split('/').filter((segment) => segment !== '').map(decodeURIComponent);
    } catch {
      sendJson(response, 400, { error: 'Bad request' });
      return;
    }
    if (segments[0] === 'api') {
      if (segments[1] === 'whoami-v2') {
        if (!user) return hubError(response, 401, null, 'Invalid credentials in Authorization header', false);
        return sendJson(response, 200, { type: 'user', name: user, auth: { type: 'access_token', accessToken: { displayName: 'modeldock', role: 'read' } } });
      }
      if (segments[1] === 'resolve-cache' && TYPE_SEGMENT[segments[2] ?? ''] && segments.length >= 7) {
        return serveResolveCache(request, response, TYPE_SEGMENT[segments[2]!]!, `${segments[3]}/${segments[4]}`, segments[5]!, segments.slice(6).join('/'), user);
      }
      if (segments[1] === 'models' && segments.length === 2) {
        // The model search: `search` is a case-insensitive substring of the repository id; public repos only.
        const search = (url.searchParams.get('search') ?? '').toLowerCase();
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000) || 1000, 1000);
        const found = [...repos.values()]
          .filter((repo) => repo.type === 'model' && !repo.isPrivate && repo.id.toLowerCase().includes(search))
          .slice(0, limit)
          .map((repo) => ({ _id: repo.commits[0] ?? repo.id, id: repo.id, modelId: repo.id, private: false, gated: repo.gated ? 'auto' : false, likes: 0, downloads: 0, tags: [] }));
        return sendJson(response, 200, found);
      }
      const type = TYPE_SEGMENT[segments[1] ?? ''];
      if (type && segments.length >= 4) {
        const repoId = `${segments[2]}/${segments[3]}`;
        const action = segments[4];
        // Raw segments after /api/<type>/<org>/<name>, kept encoded as they came.
        const rawRest = url.pathname.split('/').slice(5).join('/');
        const rebuild = (newId: string) => `/api/${segments[1]}/${newId}${rawRest ? `/${rawRest}` : ''}${url.search}`;
        if (redirectIfRenamed(type, repoId, rebuild, response)) return;
        if (action === undefined) return serveInfo(request, response, url, type, repoId, repos.get(keyOf(type, repoId))?.defaultBranch ?? 'main', user);
        if (action === 'revision' && segments[5] !== undefined) return serveInfo(request, response, url, type, repoId, segments[5], user);
        if (action === 'tree' && segments[5] !== undefined) return serveTree(response, url, type, repoId, segments[5], segments.slice(6).join('/'), user);
      }
      return sendJson(response, 404, { error: 'Sorry, we can\'t find the page you are looking for.' });
    }
    let type: FakeHfRepoType = 'model';
    if (segments[0] === 'datasets' || segments[0] === 'spaces') {
      type = TYPE_SEGMENT[segments.shift()!]!;
    }
    if (segments.length >= 5 && segments[2] === 'resolve') {
      return serveResolve(request, response, type, `${segments[0]}/${segments[1]}`, segments[3]!, segments.slice(4).join('/'), user);
    }
    response.writeHead(404, { 'content-type': 'text/html' });
    response.end(headOnly ? undefined : '<!doctype html><title>404</title>');
  }

  const server = http.createServer(route);
  origin = await listen(server);
  hub.url = origin;
  hub.origin = origin;
  return hub;
}
