/**
 * The fallback source: a plain http(s) link to one file. A preview asks the link itself
 * (direct-link-probe.ts: size, suggested name, reachability, resumability; 404 and HTML pages
 * reported) and reads a safetensors/GGUF header by Range to choose its folder; enqueue without a
 * folder reads the header too. The file name comes from the request, else the server's
 * Content-Disposition (previews), else the link's last path segment, else "download".
 * A file nothing places says `needsFolder`: a preview asks for a folder, and enqueue refuses it with
 * FOLDER_REQUIRED, because the models root itself is a place ComfyUI never looks.
 */
import { ModeldockError } from '../errors';
import { relativeDestination } from '../paths/confine-path';
import { sanitizeFileName } from '../paths/sanitize-file-name';
import { redactUrl } from '../secrets/redact';
import type { EnqueueRequest } from '../download-request';
import type { ResolveContext, ResolvedSource, SourceResolver } from './source-resolver';
import { chosenFolder, decideFolder } from '../placement/choose-folder';
import type { FolderDecision } from '../placement/choose-folder';
import { isProbeableName } from '../model-format/probe-model-file';
import { probeDirectLink } from './direct-link-probe';
import type { DirectLinkFacts } from './direct-link-probe';
import { decideFolders, placementOf } from './file-placement';
import type { ProbedDecision } from './file-placement';

const FALLBACK_NAME = 'download';
const EXAMPLE = 'https://huggingface.co/org/model/resolve/main/model.safetensors';

/** Parses a pasted link and refuses anything that is not http or https. */
export function parseDirectUrl(input: string): URL {
  const trimmed = input.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ModeldockError(
      'INVALID_URL',
      `"${redactUrl(trimmed).slice(0, 200)}" is not a link. Paste a full URL starting with https://, such as ${EXAMPLE}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModeldockError(
      'UNSUPPORTED_SCHEME',
      `Only http and https links can be downloaded (this one starts with ${url.protocol}). Paste a link such as ${EXAMPLE}`,
    );
  }
  return url;
}

/** The name a link suggests: its last non-empty path segment, decoded and made safe. */
export function fileNameFromUrl(url: URL): string {
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const last = segments[segments.length - 1];
  return (last !== undefined ? sanitizeFileName(last) : null) ?? FALLBACK_NAME;
}

export const directUrlResolver: SourceResolver = {
  kind: 'direct',
  accepts(input: string): boolean {
    return /^https?:\/\//i.test(input.trim());
  },
  checkInput(request: EnqueueRequest): void {
    parseDirectUrl(request.url);
    if (request.filename && !sanitizeFileName(request.filename)) {
      throw new ModeldockError(
        'INVALID_INPUT',
        `"${request.filename}" cannot be used as a file name`,
      );
    }
  },
  async resolve(request: EnqueueRequest, context?: ResolveContext): Promise<ResolvedSource> {
    const url = parseDirectUrl(request.url);
    const userFolder = chosenFolder(request.folder);
    const previewing = context?.purpose === 'preview';
    const facts: DirectLinkFacts | null = previewing
      ? await probeDirectLink(context!, url.href)
      : null;
    let name = request.filename
      ? sanitizeFileName(request.filename)
      : (facts?.fileName ?? fileNameFromUrl(url));
    if (!name)
      throw new ModeldockError(
        'INVALID_INPUT',
        `"${request.filename}" cannot be used as a file name`,
      );
    let decision: FolderDecision;
    // A preview reads the header even into a folder the user chose, to warn when they disagree.
    if (context && (!userFolder || previewing) && !facts?.problem && isProbeableName(name)) {
      const [probed] = (await decideFolders(
        [{ url: url.href, fileName: name, size: facts?.size ?? null, userFolder }],
        { token: null, credential: null },
        context,
      )) as [ProbedDecision];
      decision = probed;
      // ComfyUI lists files by extension: an unnamed link's weights get the one their bytes say.
      if (probed.format && !/\.[a-z0-9]{1,16}$/i.test(name) && !request.filename)
        name = `${name}.${probed.format}`;
    } else {
      decision = decideFolder({ fileName: name, userFolder });
    }
    const relativePath = relativeDestination(decision.folder ?? '', name);
    return {
      kind: 'direct',
      source: redactUrl(url.href),
      files: [
        {
          url: url.href,
          name,
          relativePath,
          bytesTotal: facts?.size ?? null,
          expectedSha256: request.sha256 ? request.sha256.toLowerCase() : null,
          credential: null,
          revision: null,
          access: facts ? (facts.problem ? 'denied' : 'ok') : 'unknown',
          // An unplaced file says so: a preview asks for a folder, enqueue refuses (FOLDER_REQUIRED).
          placement: placementOf(decision),
        },
      ],
      ...(facts?.problem ? { accessProblem: facts.problem } : {}),
      ...(facts && !facts.resumable && !facts.problem
        ? { warnings: ['The server does not allow resuming: an interrupted download starts over'] }
        : {}),
    };
  },
};
