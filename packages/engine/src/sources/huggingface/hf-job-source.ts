/**
 * How a Hugging Face job names its source in the job list: `hf://[datasets/]org/name@<revision>`
 * plus the file, folder or patterns. It keeps the revision the user asked for (e.g. "main") next to
 * the commit pinned on each file, which the HF cache layout needs for `refs/<revision>`.
 */
import type { HfRepoType } from './hf-input';
import { repoUrlPrefix } from './hf-urls';

export interface HfSourceSelection {
  filePath: string | null;
  folderPath: string | null;
  include: string[];
  exclude: string[];
}

function encodeRevision(revision: string): string {
  return revision.includes('/') || revision.includes('@') ? encodeURIComponent(revision) : revision;
}

export function formatHfSource(repoType: HfRepoType, repoId: string, revision: string, selection: HfSourceSelection): string {
  let text = `hf://${repoUrlPrefix(repoType)}${repoId}@${encodeRevision(revision)}`;
  if (selection.filePath) text += `/${selection.filePath}`;
  else if (selection.folderPath) text += `/${selection.folderPath}/`;
  const patterns: string[] = [];
  if (selection.include.length > 0) patterns.push(`include ${selection.include.join(', ')}`);
  if (selection.exclude.length > 0) patterns.push(`exclude ${selection.exclude.join(', ')}`);
  return patterns.length > 0 ? `${text} (${patterns.join('; ')})` : text;
}

/** The revision a job asked for, read back from its source; null when the source is not one of ours. */
export function revisionOfHfSource(source: string): string | null {
  const match = /^hf:\/\/(?:(?:datasets|spaces)\/)?[^/@\s]+\/[^/@\s]+@([^/\s]+)/.exec(source);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
}
