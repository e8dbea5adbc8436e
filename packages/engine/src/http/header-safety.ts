/**
 * What may travel in an HTTP request header, checked before a request reaches undici: undici 7
 * refuses a bad value only after taking a slot in the host's connection pool, and never gives the
 * slot back, so a few refused requests stall every later request to that host. A refused header is
 * a permanent INVALID_INPUT (retrying sends the same bytes).
 */
import { ModeldockError } from '../errors';

/** Keys and tokens: visible ASCII only (no spaces, no control or non-ASCII characters). */
const VISIBLE_ASCII = /^[\x21-\x7e]$/;
/** Header values as undici (and Node's http) accept them: tab, visible ASCII, space, Latin-1. */
const HEADER_VALUE_CHAR = /^[\t\x20-\x7e\x80-\xff]$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers undici sets itself and refuses from a caller. */
const RESERVED_HEADER_NAMES = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'expect',
  'connection',
]);

const CHARACTER_NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x09: 'tab',
  0x0a: 'line feed',
  0x0d: 'carriage return',
  0x20: 'space',
  0x7f: 'DEL',
  0xa0: 'no-break space',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x2060: 'word joiner',
  0xfeff: 'zero-width no-break space (BOM)',
};

/** "U+200B (zero-width space)": a character described without printing it. */
export function describeCharacter(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHARACTER_NAMES[codePoint] ?? (codePoint < 0x20 ? 'control character' : undefined);
  return name ? `${hex} (${name})` : hex;
}

export interface RefusedCharacter {
  codePoint: number;
  /** 1-based position among the text's characters. */
  position: number;
  /** e.g. "U+200B (zero-width space) at position 12". */
  description: string;
}

function firstCharacterNotMatching(text: string, allowed: RegExp): RefusedCharacter | null {
  let position = 0;
  for (const character of text) {
    position += 1;
    if (!allowed.test(character)) {
      const codePoint = character.codePointAt(0) ?? 0;
      return {
        codePoint,
        position,
        description: `${describeCharacter(codePoint)} at position ${position}`,
      };
    }
  }
  return null;
}

/** The first character a key or token may not hold (anything but visible ASCII), or null. */
export function findCharacterNotAllowedInKey(key: string): RefusedCharacter | null {
  return firstCharacterNotMatching(key, VISIBLE_ASCII);
}

/** Throws INVALID_INPUT naming the first header that undici would refuse; never echoes a value. */
export function assertHeadersSendable(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADER_NAMES.has(name.toLowerCase())) {
      throw new ModeldockError(
        'INVALID_INPUT',
        `The request header name "${name.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')}" cannot be sent`,
      );
    }
    const isCredential = name.toLowerCase() === 'authorization';
    // Positions count within the key, not within "Bearer <key>", so the message matches what was pasted.
    const checked = isCredential ? value.replace(/^[A-Za-z]+ /, '') : value;
    const refused = firstCharacterNotMatching(checked, HEADER_VALUE_CHAR);
    if (refused) {
      const what = isCredential ? 'The API key or token' : `The ${name} header`;
      throw new ModeldockError(
        'INVALID_INPUT',
        `${what} holds a character HTTP headers cannot carry: ${refused.description}; paste it again without it`,
      );
    }
  }
}
