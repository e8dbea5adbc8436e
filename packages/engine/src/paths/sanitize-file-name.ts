/**
 * Reduces a name that came from a server or a user (Content-Disposition, an API, a URL path, a
 * form field) to one safe path segment, NFC-normalised: no separators, no traversal, no control or
 * bidirectional-override characters, no Windows device names or trailing dots, at most 200 bytes.
 */

const MAX_NAME_BYTES = 200;
const BIDI_OVERRIDES = /[\u202a-\u202e\u2066-\u2069]/g;

/** Decodes %xx repeatedly (names like %252e%252e arrive double-encoded) without throwing. */
function decodeRepeatedly(name: string): string {
  let current = name;
  for (let round = 0; round < 3; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return current;
    }
    current = decoded;
  }
  return current;
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never cutting a character. */
function prefixWithinBytes(text: string, maxBytes: number): string {
  let used = 0;
  let end = 0;
  for (const character of text) {
    used += Buffer.byteLength(character);
    if (used > maxBytes) break;
    end += character.length;
  }
  return text.slice(0, end);
}

/** Cuts the stem, keeping an extension of up to 15 characters; a name that fits comes back whole. */
function truncateUtf8(name: string, maxBytes: number): string {
  // Without a dot `dot` is -1: only a name of at most 15 characters keeps its last one as the
  // "extension", and such a name always fits.
  const dot = name.lastIndexOf('.');
  const extension = name.length - dot <= 16 ? name.slice(dot) : '';
  const stem = name.slice(0, name.length - extension.length);
  return prefixWithinBytes(stem, maxBytes - Buffer.byteLength(extension)) + extension;
}

/** Returns a safe file name, or null when nothing usable is left. */
export function sanitizeFileName(raw: string): string | null {
  let name = decodeRepeatedly(raw).normalize('NFC');
  // Keep only the last path segment whatever the separator style (../../x, C:\x, \\host\share\x).
  name = name.split(/[/\\]/).pop()!;
  name = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  // Bidirectional overrides make "evil\u202Egnp.safetensors" read as another name than it is.
  name = name.replace(BIDI_OVERRIDES, '');
  name = name.replace(/[<>:"/\\|?*]/g, '_');
  // Trailing dots and spaces, then leading dots: what is left can be neither '.' nor '..'.
  name = name.trim().replace(/[. ]+$/, '');
  name = name.replace(/^\.+/, '');
  if (name === '') return null;
  // Windows device names, with or without an extension.
  if (/^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i.test(name)) name = `_${name}`;
  // An extension takes at most 61 bytes, so the cut never empties a name.
  return truncateUtf8(name, MAX_NAME_BYTES);
}
