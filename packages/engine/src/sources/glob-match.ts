/**
 * File-selection globs with huggingface_hub's meaning (Python fnmatch): `*` matches any run of
 * characters including '/', `?` one character, `[abc]` / `[!abc]` a set; a pattern ending in '/'
 * takes everything under that folder. Matching is case-sensitive, like paths on the Hub.
 */
import { ModeldockError } from '../errors';

const MAX_PATTERNS = 64;
const MAX_PATTERN_LENGTH = 512;

export function isGlobPattern(text: string): boolean {
  return /[*?[]/.test(text);
}

function escapeRegExp(character: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(character) ? `\\${character}` : character;
}

export function globToRegExp(pattern: string): RegExp {
  const source = pattern.endsWith('/') ? `${pattern}*` : pattern;
  let regex = '';
  for (let index = 0; index < source.length; index++) {
    const character = source[index]!;
    if (character === '*') {
      regex += '.*';
    } else if (character === '?') {
      regex += '.';
    } else if (character === '[') {
      const close = source.indexOf(']', index + 2);
      if (close === -1) {
        regex += '\\[';
        continue;
      }
      let body = source.slice(index + 1, close);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      regex += `[${negated ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^')}]`;
      index = close;
    } else {
      regex += escapeRegExp(character);
    }
  }
  return new RegExp(`^${regex}$`, 's');
}

/** Validates user patterns: bounded count and length, no control characters. */
export function normalisePatterns(patterns: readonly string[] | undefined, field: string): string[] {
  if (!patterns) return [];
  if (!Array.isArray(patterns)) {
    throw new ModeldockError('INVALID_INPUT', `${field} must be a list of patterns such as ["*.safetensors"]`);
  }
  if (patterns.length > MAX_PATTERNS) {
    throw new ModeldockError('INVALID_INPUT', `${field} has ${patterns.length} patterns; at most ${MAX_PATTERNS} are allowed`);
  }
  const result: string[] = [];
  for (const raw of patterns) {
    if (typeof raw !== 'string') {
      throw new ModeldockError('INVALID_INPUT', `${field} must contain text patterns such as "*Q8_0.gguf"`);
    }
    const pattern = raw.trim();
    if (pattern === '') continue;
    if (pattern.length > MAX_PATTERN_LENGTH || /[\u0000-\u001f\u007f]/.test(pattern)) {
      throw new ModeldockError('INVALID_INPUT', `${field} pattern "${pattern.slice(0, 60)}" is too long or contains control characters`);
    }
    result.push(pattern);
  }
  return result;
}

/** Paths kept by `include` (all when empty) minus those matched by `exclude`. */
export function filterPaths<T extends { path: string }>(items: readonly T[], include: string[], exclude: string[]): T[] {
  const includes = include.map(globToRegExp);
  const excludes = exclude.map(globToRegExp);
  return items.filter(
    (item) =>
      (includes.length === 0 || includes.some((regex) => regex.test(item.path))) &&
      !excludes.some((regex) => regex.test(item.path)),
  );
}
