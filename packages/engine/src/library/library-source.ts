/**
 * Where a downloaded file came from, read back from what its job stored: the file's URL (never a
 * secret) and its pinned revision. A Hugging Face resolve URL names the repo, commit and path; a
 * Civitai download URL names the model version; anything else is a plain URL.
 */
import type { LibrarySource } from './library-entry';

const HF_RESOLVE = /^\/((?:datasets\/|spaces\/)?[^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/;
const CIVITAI_DOWNLOAD = /^\/api\/download\/models\/(\d+)/;

function decoded(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

export function librarySourceOf(url: string, revision: string | null): LibrarySource {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'url', url };
  }
  const hf = HF_RESOLVE.exec(parsed.pathname);
  if (hf) {
    const commit = decoded(hf[2]!);
    const repoPath = hf[3]!.split('/').map(decoded);
    if (commit !== null && repoPath.every((part) => part !== null)) {
      return { kind: 'huggingface', repo: hf[1]!, revision: revision ?? commit, path: repoPath.join('/'), url };
    }
  }
  const civitai = CIVITAI_DOWNLOAD.exec(parsed.pathname);
  if (civitai) return { kind: 'civitai', modelId: null, versionId: Number(civitai[1]), url };
  return { kind: 'url', url };
}
