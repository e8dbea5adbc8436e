/**
 * What the bench origin serves: single files under /files/, and Hugging Face style repositories
 * (many files as one job, resolved through modeldock's Hugging Face source) under /<repo>/resolve/.
 * The catalog travels from the bench to the origin process as JSON; the origin answers with each
 * file's SHA-256.
 */
import type { ContentSpec } from './pattern-content';

export interface RepoSpec {
  /** "org/name". */
  id: string;
  /** The 40-hex commit every revision resolves to. */
  commit: string;
  files: ContentSpec[];
}

export interface OriginCatalog {
  /** Served at /files/<path>. */
  files: ContentSpec[];
  repos: RepoSpec[];
  /** Per-connection limit of the throttled listener, in bytes per second. */
  throttleBytesPerSecond: number;
}

export interface OriginReady {
  plainUrl: string;
  throttledUrl: string;
  /**
   * The Hugging Face endpoint (unthrottled): a listener of its own, because modeldock takes any
   * link on its Hugging Face endpoint's host for a Hub link, and the single files are plain links.
   */
  hubUrl: string;
  /** SHA-256 of every file, keyed by its URL path (e.g. "/files/model.safetensors"). */
  sha256: Record<string, string>;
}

export interface OriginTraffic {
  requests: number;
  /** Body bytes written to sockets (more than a client keeps when it closes a connection early). */
  bodyBytes: number;
}

export function fileUrlPath(spec: ContentSpec): string {
  return `/files/${spec.path}`;
}

export function repoFileUrlPath(repo: RepoSpec, spec: ContentSpec, revision = repo.commit): string {
  return `/${repo.id}/resolve/${revision}/${spec.path}`;
}
