/**
 * Keeps every destination inside the models root. Relative paths are validated segment by segment
 * (no '..', no absolute paths, no drive letters, no control characters) before any I/O, and the
 * real path of the deepest existing ancestor is checked again so a symlink cannot lead outside.
 */
import path from 'node:path';
import { ModeldockError } from '../errors';
import type { FileSystem } from '../ports';
import { sanitizeFileName } from './sanitize-file-name';

const MAX_RELATIVE_PATH_LENGTH = 1024;

function outside(detail: string): ModeldockError {
  return new ModeldockError(
    'PATH_OUTSIDE_ROOT',
    `${detail}: folders and file names must stay inside the models folder (use a relative folder such as "checkpoints" or "loras/sdxl")`,
  );
}

/**
 * Validates a folder the user typed (e.g. "loras/sdxl") and returns it normalised with '/' separators
 * ('' for the root). Rejects rather than repairs: a user who typed "../x" should be told.
 */
export function normaliseFolder(folder: string | undefined | null): string {
  // '', '.' and './' need no case of their own: they come out as '' ('/' as an absolute path).
  // NFC first: a decomposed "é" must be the same folder as the composed one, before any check.
  const trimmed = (folder ?? '').trim().normalize('NFC');
  if (trimmed.length > MAX_RELATIVE_PATH_LENGTH) throw outside('Folder name is too long');
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw outside('Folder contains control characters');
  // win32.isAbsolute also knows '/x'; 'C:x' (drive-relative) is not absolute there but no folder either.
  if (path.win32.isAbsolute(trimmed) || /^[a-zA-Z]:/.test(trimmed)) {
    throw outside(`Folder "${folder}" is an absolute path`);
  }
  const segments = trimmed.split(/[/\\]/).filter((segment) => segment !== '' && segment !== '.');
  for (const segment of segments) {
    if (segment === '..') throw outside(`Folder "${folder}" leads out of the models folder`);
    // Also refuses encoded traversal ('%2e%2e' sanitises to nothing) and reserved names.
    if (sanitizeFileName(segment) !== segment) {
      throw outside(`Folder "${folder}" contains a name that is not allowed ("${segment}")`);
    }
  }
  return segments.join('/');
}

/** True when `candidate` is `root` or below it; a root that ends in a separator ('/', 'C:\\') too. */
function isInside(root: string, candidate: string): boolean {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return candidate === root || candidate.startsWith(prefix);
}

/** Joins a validated folder and a file name (sanitised here) into a relative destination. */
export function relativeDestination(folder: string, fileName: string): string {
  const safeName = sanitizeFileName(fileName);
  if (!safeName)
    throw new ModeldockError('INVALID_INPUT', `"${fileName}" cannot be used as a file name`);
  const safeFolder = normaliseFolder(folder);
  return safeFolder === '' ? safeName : `${safeFolder}/${safeName}`;
}

/** Absolute path of a relative destination, checked lexically to stay under `modelsRoot`. */
export function absoluteDestination(modelsRoot: string, relativePath: string): string {
  const root = path.resolve(modelsRoot);
  const resolved = path.resolve(root, ...relativePath.split('/'));
  if (!isInside(root, resolved)) {
    throw outside(`"${relativePath}" leads out of the models folder`);
  }
  return resolved;
}

/**
 * Checks, right before writing, that the real path of the destination's deepest existing ancestor is
 * inside the real models root: a symlinked folder pointing elsewhere is refused.
 */
export async function assertRealPathInsideRoot(
  fs: FileSystem,
  modelsRoot: string,
  absolutePath: string,
): Promise<void> {
  const realRoot = await fs.realpath(modelsRoot);
  let probe = path.dirname(absolutePath);
  for (;;) {
    const stat = await fs.lstat(probe);
    if (stat) break;
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  const realProbe = await fs.realpath(probe);
  if (!isInside(realRoot, realProbe)) {
    throw outside(
      `"${path.relative(modelsRoot, absolutePath)}" resolves outside the models folder`,
    );
  }
  const existing = await fs.lstat(absolutePath);
  if (existing?.isSymbolicLink) {
    const realTarget = await fs.realpath(absolutePath).catch(() => undefined);
    if (!realTarget || !isInside(realRoot, realTarget)) {
      throw outside(
        `"${path.relative(modelsRoot, absolutePath)}" is a link that leads outside the models folder`,
      );
    }
  }
}
