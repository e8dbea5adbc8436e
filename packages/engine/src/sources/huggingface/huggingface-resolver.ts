/**
 * Hugging Face: turns a link, an `org/name` id or `hf://…` into pinned files before any byte flows.
 *
 * Input (see hf-input.ts for every form) plus optional EnqueueRequest fields:
 * - `revision`: branch, tag or commit (default: the one in the link, else "main"); a different
 *   revision in the link and in the field is AMBIGUOUS_INPUT;
 * - `include` / `exclude`: fnmatch globs for repositories, e.g. include ["*Q8_0.gguf"];
 * - `layout`: 'comfyui' (default) or 'hf-cache' (hf-destinations.ts); `folder`, `filename`, `sha256`.
 *
 * Each file's URL is the resolve URL at the *commit* the revision pointed to, and `revision` on the
 * file is that commit, so a resumed file is the same version. The LFS sha256 is the expected hash.
 * - `files`: exactly these repository paths (the file picker), each with an optional folder.
 * Without `files` or patterns a repository gives its weights, never its documentation
 * (hf-selection.ts); several GGUF files are alternative quantisations, so a program asking without
 * patterns gets AMBIGUOUS_INPUT listing them, while a preview lists them for the user to tick.
 * In the ComfyUI layout each file goes to the folder its header says (file-placement.ts).
 * The token (credential 'huggingface') is sent as `Authorization: Bearer` to the endpoint only.
 */
import type {
  AccessProblem,
  ListedSourceFile,
  SourceResolver,
  ResolveContext,
  ResolvedFile,
  ResolvedSource,
} from '../source-resolver';
import type { EnqueueRequest, PickedFile } from '../../download-request';
import { toModeldockError } from '../../errors';
import { authoritativePathDecision, chosenFolder } from '../../placement/choose-folder';
import { decideFolders, placementOf } from '../file-placement';
import { defaultHfSelection, listNames } from './hf-selection';
import type { HfListedFile } from './hf-selection';
import { ModeldockError } from '../../errors';
import { registerSecret } from '../../secrets/redact';
import { normaliseFolder } from '../../paths/confine-path';
import { filterPaths, normalisePatterns } from '../glob-match';
import type { HubHttp } from '../hub-http';
import { DEFAULT_HUB_RETRY, withHubRetries } from '../hub-retry';
import type { HubRetryPolicy } from '../hub-retry';
import { pickleWarning } from '../pickle-warning';
import type { HfErrorSubject } from './hf-errors';
import { fetchHfFileMetadata } from './hf-file-metadata';
import type { HfFileMetadata } from './hf-file-metadata';
import { looksLikeHuggingFace, parseHuggingFaceInput, validateRevision } from './hf-input';
import type { HfRepoType, HfTarget } from './hf-input';
import { formatHfSource } from './hf-job-source';
import { listRepoFiles, resolveCommit } from './hf-repo-listing';
import type { HfListingRequest } from './hf-repo-listing';
import { displayNameOf, placeHfFiles } from './hf-destinations';
import type { HfPlacedFile, HfSelectedFile, HfSelectionKind } from './hf-destinations';
import { DEFAULT_HF_ENDPOINT, normaliseEndpoint, resolveFileUrl } from './hf-urls';

export interface HuggingFaceResolverOptions {
  /** MODELDOCK_HF_ENDPOINT; default https://huggingface.co. A mirror's path prefix is kept. */
  endpoint?: string;
  /** Deadline for each request to the Hub. */
  requestTimeoutMs?: number;
  /** Retries after 429, 5xx and network failures while resolving. */
  retry?: Partial<HubRetryPolicy>;
}

export const DEFAULT_HUB_REQUEST_TIMEOUT_MS = 30_000;

/** What resolving one file at one revision gives. */
export interface HfResolvedFile {
  repoType: HfRepoType;
  repoId: string;
  path: string;
  commit: string;
  url: string;
  size: number | null;
  etag: string | null;
  sha256: string | null;
}

export interface HuggingFaceResolver extends SourceResolver {
  readonly endpoint: string;
  /** Pins one file to its commit and checks it can be read (used by presets). */
  resolveFile(
    file: { repoType?: HfRepoType; repoId: string; revision?: string; path: string },
    context: ResolveContext,
  ): Promise<HfResolvedFile>;
}

function isLayout(value: unknown): value is 'comfyui' | 'hf-cache' {
  return value === 'comfyui' || value === 'hf-cache';
}

function chooseRevision(fromInput: string | null, fromRequest: string | undefined): string {
  const requested =
    fromRequest === undefined || fromRequest.trim() === ''
      ? null
      : validateRevision(fromRequest.trim());
  if (fromInput !== null && requested !== null && fromInput !== requested) {
    throw new ModeldockError(
      'AMBIGUOUS_INPUT',
      `The link names revision "${fromInput}" but revision "${requested}" was also given: keep only one`,
    );
  }
  return requested ?? fromInput ?? 'main';
}

function selectionKind(
  target: HfTarget,
  include: string[],
  picked: PickedFile[] | null,
): HfSelectionKind {
  if (target.filePath) return 'file';
  return target.folderPath || include.length > 0 || picked ? 'selection' : 'repository';
}

const MAX_PICKED_FILES = 10_000;

/** The file picker's ticks, checked: repository paths (no '..'), each with an optional folder. */
function normalisePicked(files: unknown): PickedFile[] | null {
  if (files === undefined || files === null) return null;
  if (!Array.isArray(files) || files.length === 0 || files.length > MAX_PICKED_FILES) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `files must be a list of 1 to ${MAX_PICKED_FILES} repository files such as [{ "path": "model.safetensors" }]`,
    );
  }
  return files.map((entry: unknown) => {
    const file = entry as Partial<PickedFile> | null;
    const path = typeof file?.path === 'string' ? file.path.trim().replace(/^\/+/, '') : '';
    if (
      path === '' ||
      path.length > 1024 ||
      path.split('/').some((segment) => segment === '..' || segment === '')
    ) {
      throw new ModeldockError(
        'INVALID_INPUT',
        `"${String(file?.path).slice(0, 100)}" is not a file path inside the repository`,
      );
    }
    if (file?.folder !== undefined && typeof file.folder !== 'string')
      throw new ModeldockError('INVALID_INPUT', `The folder for ${path} must be text`);
    normaliseFolder(file?.folder);
    return { path, ...(file?.folder ? { folder: file.folder } : {}) };
  });
}

/** The error a preview shows beside the files rather than instead of them. */
function isAccessProblem(error: unknown): boolean {
  const code = toModeldockError(error).code;
  return [
    'GATED_REPO',
    'GATED_NOT_APPROVED',
    'AUTH_REQUIRED',
    'FORBIDDEN',
    'NO_ACCESS',
    'INVALID_TOKEN',
  ].includes(code);
}

function normaliseUserSha256(value: string | undefined): string | null {
  if (value === undefined) return null;
  const hex = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new ModeldockError('INVALID_INPUT', 'sha256 must be 64 hexadecimal characters');
  return hex;
}

export function createHuggingFaceResolver(
  options: HuggingFaceResolverOptions = {},
): HuggingFaceResolver {
  const endpoint = normaliseEndpoint(options.endpoint, DEFAULT_HF_ENDPOINT);
  const endpointOrigin = new URL(endpoint).origin;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_HUB_REQUEST_TIMEOUT_MS;
  const retryPolicy: HubRetryPolicy = { ...DEFAULT_HUB_RETRY, ...options.retry };

  function environment(context: ResolveContext) {
    const hub: HubHttp = { http: context.http, logger: context.logger };
    const retry = <T>(label: string, work: () => Promise<T>) =>
      withHubRetries(
        label,
        retryPolicy,
        { clock: context.clock, logger: context.logger, signal: context.signal },
        work,
      );
    return { hub, retry };
  }

  async function tokenFor(context: ResolveContext): Promise<string | null> {
    const token = await context.credentials('huggingface');
    registerSecret(token);
    return token && token.trim() !== '' ? token.trim() : null;
  }

  function subjectFor(
    target: Pick<HfTarget, 'repoType' | 'repoId'>,
    revision: string,
    path: string | null,
    context: ResolveContext,
  ): HfErrorSubject {
    return {
      endpoint,
      repoType: target.repoType,
      repoId: target.repoId,
      revision,
      path,
      nowMs: context.clock.now(),
    };
  }

  async function headFile(
    context: ResolveContext,
    token: string | null,
    target: Pick<HfTarget, 'repoType' | 'repoId'>,
    revision: string,
    path: string,
  ): Promise<HfFileMetadata> {
    const { hub, retry } = environment(context);
    return retry('hf file metadata', () =>
      fetchHfFileMetadata(hub, {
        url: resolveFileUrl(endpoint, target.repoType, target.repoId, revision, path),
        endpointOrigin,
        token,
        timeoutMs,
        signal: context.signal,
        subject: subjectFor(target, revision, path, context),
      }),
    );
  }

  function listingRequest(
    context: ResolveContext,
    token: string | null,
    target: HfTarget,
    revision: string,
  ): HfListingRequest {
    return {
      endpoint,
      endpointOrigin,
      token,
      timeoutMs,
      signal: context.signal,
      subject: subjectFor(target, revision, null, context),
    };
  }

  async function pinnedCommit(
    context: ResolveContext,
    token: string | null,
    target: HfTarget,
    revision: string,
  ): Promise<string> {
    const { hub, retry } = environment(context);
    return retry('hf revision', () =>
      resolveCommit(hub, target, revision, listingRequest(context, token, target, revision)),
    );
  }

  async function resolveSingle(
    context: ResolveContext,
    token: string | null,
    target: HfTarget,
    revision: string,
    path: string,
  ) {
    const metadata = await headFile(context, token, target, revision, path);
    // A mirror that omits X-Repo-Commit still gets the file pinned, through the revision API.
    const commit = metadata.commit ?? (await pinnedCommit(context, token, target, revision));
    return { commit, metadata };
  }

  async function listMany(
    context: ResolveContext,
    token: string | null,
    target: HfTarget,
    revision: string,
    layout: 'comfyui' | 'hf-cache',
    include: string[],
    exclude: string[],
  ): Promise<{ commit: string; listed: HfListedFile[]; choiceRequired: string | null }> {
    const { hub, retry } = environment(context);
    const commit = await pinnedCommit(context, token, target, revision);
    const listing = await retry('hf tree', () =>
      listRepoFiles(
        hub,
        target,
        commit,
        target.folderPath,
        listingRequest(context, token, target, revision),
      ),
    );
    const matched = filterPaths(listing, include, exclude);
    const where = target.folderPath ? `"${target.folderPath}" of ` : '';
    if (matched.length === 0) {
      const patterns = [
        ...include.map((p) => `include ${p}`),
        ...exclude.map((p) => `exclude ${p}`),
      ].join(', ');
      throw new ModeldockError(
        'ENTRY_NOT_FOUND',
        listing.length === 0
          ? `There are no files in ${where}${target.repoId} at revision "${revision}"`
          : `No file in ${where}${target.repoId} at revision "${revision}" matches ${patterns || 'the selection'}; files there: ${listNames(listing.map((file) => file.path))}`,
      );
    }
    const selection = defaultHfSelection(matched, {
      layout,
      repoId: target.repoId,
      patternsGiven: include.length > 0,
      wholeListing: listing,
    });
    return { commit, listed: selection.files, choiceRequired: selection.choiceRequired };
  }

  /** Exactly the ticked files, each with its own folder when given. */
  function pickFiles(
    listed: HfListedFile[],
    picked: PickedFile[],
    target: HfTarget,
  ): Array<HfListedFile & { userFolder?: string }> {
    const byPath = new Map(listed.map((file) => [file.path, file]));
    const missing = picked.filter((file) => !byPath.has(file.path));
    if (missing.length > 0) {
      throw new ModeldockError(
        'ENTRY_NOT_FOUND',
        `${target.repoId} has no file ${missing
          .map((file) => file.path)
          .slice(0, 5)
          .join(', ')}; files there: ${listNames(listed.map((file) => file.path))}`,
      );
    }
    return picked.map((file) => ({
      ...byPath.get(file.path)!,
      ...(file.folder ? { userFolder: file.folder } : {}),
    }));
  }

  /** Everything about a request that needs no network; throws what resolve would for bad input. */
  function checkRequest(request: EnqueueRequest) {
    const target = parseHuggingFaceInput(request.url, endpoint);
    const revision = chooseRevision(target.revision, request.revision);
    const include = [...target.include, ...normalisePatterns(request.include, 'include')];
    const exclude = normalisePatterns(request.exclude, 'exclude');
    const layout = request.layout ?? 'comfyui';
    if (!isLayout(layout))
      throw new ModeldockError('INVALID_INPUT', 'layout must be "comfyui" or "hf-cache"');
    if (target.filePath && (include.length > 0 || exclude.length > 0)) {
      throw new ModeldockError(
        'AMBIGUOUS_INPUT',
        `The link names one file (${target.filePath}) but include/exclude patterns were also given: paste the repository link to use patterns`,
      );
    }
    const picked = normalisePicked(request.files);
    if (target.filePath && picked) {
      throw new ModeldockError(
        'AMBIGUOUS_INPUT',
        `The link names one file (${target.filePath}) but files were also picked: paste the repository link to pick files`,
      );
    }
    // Checked before any request: bad input changes nothing and costs no round trip.
    normaliseFolder(request.folder);
    const kind = selectionKind(target, include, picked);
    const userSha256 = normaliseUserSha256(request.sha256);
    if (userSha256 && kind !== 'file') {
      throw new ModeldockError(
        'INVALID_INPUT',
        'A sha256 can only be given when downloading a single file',
      );
    }
    return { target, revision, include, exclude, layout, picked, kind, userSha256 };
  }

  async function resolve(
    request: EnqueueRequest,
    context: ResolveContext,
  ): Promise<ResolvedSource> {
    const { target, revision, include, exclude, layout, picked, kind, userSha256 } =
      checkRequest(request);
    const previewing = context.purpose === 'preview';
    const token = await tokenFor(context);

    let commit: string;
    let selected: Array<HfSelectedFile & { userFolder?: string }>;
    let listed: HfListedFile[] | null = null;
    let choiceRequired: string | null = null;
    let accessProblem: AccessProblem | null = null;
    if (kind === 'file') {
      const single = await resolveSingle(context, token, target, revision, target.filePath!);
      commit = single.commit;
      const published = single.metadata.sha256;
      if (userSha256 && published && userSha256 !== published) {
        throw new ModeldockError(
          'INVALID_INPUT',
          `The sha256 you gave does not match the one Hugging Face publishes for ${target.filePath} (${published}): check it, or leave it empty`,
        );
      }
      selected = [
        {
          path: target.filePath!,
          size: single.metadata.size,
          blob: single.metadata.etag,
          sha256: published ?? userSha256,
        },
      ];
    } else {
      ({ commit, listed, choiceRequired } = await listMany(
        context,
        token,
        target,
        revision,
        layout,
        include,
        exclude,
      ));
      const chosen = picked
        ? pickFiles(listed, picked, target)
        : listed.filter((file) => file.selected);
      if (!previewing) {
        if (!picked && choiceRequired) throw new ModeldockError('AMBIGUOUS_INPUT', choiceRequired);
        if (chosen.length === 0) {
          throw new ModeldockError(
            'ENTRY_NOT_FOUND',
            `Nothing in ${target.repoId} is a model file to download (documentation is left out unless asked for): pick files, or use include; files there: ${listNames(listed.map((file) => file.path))}`,
          );
        }
      }
      // Gating applies to file downloads, not to the listing: check access on the largest file.
      const probeTarget = (chosen.length > 0 ? chosen : listed).reduce((best, file) =>
        file.size > best.size ? file : best,
      );
      try {
        await headFile(context, token, target, commit, probeTarget.path);
      } catch (error) {
        if (!previewing || !isAccessProblem(error)) throw error;
        const problem = toModeldockError(error);
        accessProblem = { code: problem.code, message: problem.message };
      }
      selected = chosen.map((file) => ({
        path: file.path,
        size: file.size,
        blob: file.lfsSha256 ?? (file.oid || null),
        sha256: file.lfsSha256,
        diffusersComponent: file.diffusersComponent,
        ...((file as { userFolder?: string }).userFolder
          ? { userFolder: (file as { userFolder?: string }).userFolder }
          : {}),
      }));
    }

    if (layout === 'comfyui') {
      const decisions = await decideFolders(
        selected.map((file) => ({
          url: resolveFileUrl(endpoint, target.repoType, target.repoId, commit, file.path),
          fileName: displayNameOf(file.path),
          repoPath: file.path,
          size: file.size,
          userFolder: file.userFolder ?? chosenFolder(request.folder),
          authoritative: authoritativePathDecision(file.path),
        })),
        { token, authorizationOrigin: endpointOrigin, credential: 'huggingface' },
        context,
      );
      selected.forEach((file, index) => (file.decision = decisions[index]));
    }
    const placed = placeHfFiles(selected, {
      layout,
      kind,
      repoType: target.repoType,
      repoId: target.repoId,
      commit,
      folder: request.folder,
      filename: request.filename,
    });
    const files: ResolvedFile[] = placed.map((file) => ({
      url: resolveFileUrl(endpoint, target.repoType, target.repoId, commit, file.path),
      name:
        layout === 'hf-cache'
          ? displayNameOf(file.path)
          : file.relativePath.slice(file.relativePath.lastIndexOf('/') + 1),
      relativePath: file.relativePath,
      bytesTotal: file.size,
      expectedSha256: file.sha256,
      credential: 'huggingface',
      revision: commit,
      access: accessProblem ? 'denied' : 'ok',
      ...(file.decision && !file.diffusersComponent
        ? { placement: placementOf(file.decision) }
        : {}),
    }));
    const warnings = placed
      .map((file) => pickleWarning(file.path))
      .filter((warning): warning is string => warning !== null);
    const listing =
      previewing && listed
        ? await describeListing(context, token, target, commit, layout, listed, placed, request)
        : undefined;
    return {
      kind: 'huggingface',
      source: formatHfSource(target.repoType, target.repoId, revision, {
        filePath: target.filePath,
        folderPath: target.folderPath,
        include,
        exclude,
      }),
      files,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(listing ? { listing } : {}),
      ...(choiceRequired ? { choiceRequired } : {}),
      ...(accessProblem ? { accessProblem } : {}),
    };
  }

  /** Every listed file with its type and where it would land, for the picker (weights probed, others named). */
  async function describeListing(
    context: ResolveContext,
    token: string | null,
    target: HfTarget,
    commit: string,
    layout: 'comfyui' | 'hf-cache',
    listed: HfListedFile[],
    placed: HfPlacedFile[],
    request: EnqueueRequest,
  ): Promise<ListedSourceFile[]> {
    const placedByPath = new Map(placed.map((file) => [file.path, file]));
    const others = listed.filter(
      (file) => !placedByPath.has(file.path) && file.role === 'weights' && !file.diffusersComponent,
    );
    const decisions =
      layout === 'comfyui'
        ? await decideFolders(
            others.map((file) => ({
              url: resolveFileUrl(endpoint, target.repoType, target.repoId, commit, file.path),
              fileName: displayNameOf(file.path),
              repoPath: file.path,
              size: file.size,
              userFolder: chosenFolder(request.folder),
              authoritative: authoritativePathDecision(file.path),
            })),
            { token, authorizationOrigin: endpointOrigin, credential: 'huggingface' },
            context,
          )
        : [];
    const decisionByPath = new Map(others.map((file, index) => [file.path, decisions[index]]));
    return listed.map((file) => {
      const done = placedByPath.get(file.path);
      let relativePath = done?.relativePath ?? null;
      const decision = done?.decision ?? decisionByPath.get(file.path);
      if (!done) {
        try {
          relativePath = placeHfFiles(
            [
              {
                path: file.path,
                size: file.size,
                blob: file.lfsSha256 ?? (file.oid || null),
                sha256: file.lfsSha256,
                decision,
                diffusersComponent: file.diffusersComponent,
              },
            ],
            {
              layout,
              kind: 'selection',
              repoType: target.repoType,
              repoId: target.repoId,
              commit,
              folder: request.folder,
            },
          )[0]!.relativePath;
        } catch {
          relativePath = null;
        }
      }
      const placement = decision && !file.diffusersComponent ? placementOf(decision) : null;
      return {
        path: file.path,
        size: file.size,
        role: file.role,
        group: file.group,
        selected: done !== undefined,
        relativePath: placement?.needsFolder ? null : relativePath,
        placement,
      };
    });
  }

  async function resolveFile(
    file: { repoType?: HfRepoType; repoId: string; revision?: string; path: string },
    context: ResolveContext,
  ): Promise<HfResolvedFile> {
    const target: HfTarget = {
      repoType: file.repoType ?? 'model',
      repoId: file.repoId,
      revision: file.revision ?? 'main',
      filePath: file.path,
      folderPath: null,
      include: [],
    };
    const token = await tokenFor(context);
    const { commit, metadata } = await resolveSingle(
      context,
      token,
      target,
      target.revision!,
      file.path,
    );
    return {
      repoType: target.repoType,
      repoId: target.repoId,
      path: file.path,
      commit,
      url: resolveFileUrl(endpoint, target.repoType, target.repoId, commit, file.path),
      size: metadata.size,
      etag: metadata.etag,
      sha256: metadata.sha256,
    };
  }

  return {
    kind: 'huggingface',
    endpoint,
    accepts: (input: string) => looksLikeHuggingFace(input, endpoint),
    checkInput: (request: EnqueueRequest) => void checkRequest(request),
    resolve,
    resolveFile,
  };
}
