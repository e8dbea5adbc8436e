/**
 * The Hub's URLs: `{endpoint}/{prefix}{repo}/resolve/{rev}/{path}` for bytes (the revision fully
 * percent-encoded, so refs/pr/1 becomes refs%2Fpr%2F1; the path encoded per segment) and
 * `{endpoint}/api/{models|datasets|spaces}/{repo}/…` for metadata.
 */
import type { HfRepoType } from './hf-input';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** Trims a trailing slash so URLs join cleanly; keeps a mirror's path prefix. */
export function normaliseEndpoint(endpoint: string | undefined, fallback: string): string {
  const value = (endpoint ?? '').trim() || fallback;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`Endpoint ${value} must be an http(s) URL`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function repoUrlPrefix(repoType: HfRepoType): string {
  return repoType === 'dataset' ? 'datasets/' : repoType === 'space' ? 'spaces/' : '';
}

export function apiCollection(repoType: HfRepoType): string {
  return repoType === 'dataset' ? 'datasets' : repoType === 'space' ? 'spaces' : 'models';
}

export function encodeRepoPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function resolveFileUrl(endpoint: string, repoType: HfRepoType, repoId: string, revision: string, path: string): string {
  return `${endpoint}/${repoUrlPrefix(repoType)}${repoId}/resolve/${encodeURIComponent(revision)}/${encodeRepoPath(path)}`;
}

export function revisionInfoUrl(endpoint: string, repoType: HfRepoType, repoId: string, revision: string): string {
  return `${endpoint}/api/${apiCollection(repoType)}/${repoId}/revision/${encodeURIComponent(revision)}`;
}

export function treeUrl(endpoint: string, repoType: HfRepoType, repoId: string, revision: string, folder: string | null): string {
  const folderPart = folder ? `/${encodeRepoPath(folder)}` : '';
  return `${endpoint}/api/${apiCollection(repoType)}/${repoId}/tree/${encodeURIComponent(revision)}${folderPart}?recursive=true&expand=false`;
}

/** The repository's page, where a person requests access to a gated model. */
export function repoPageUrl(endpoint: string, repoType: HfRepoType, repoId: string): string {
  return `${endpoint}/${repoUrlPrefix(repoType)}${repoId}`;
}

export function whoAmIUrl(endpoint: string): string {
  return `${endpoint}/api/whoami-v2`;
}
