/**
 * Reduces a name that came from a server or a user (Content-Disposition, an API, a URL path, a
 * form field) to one safe path segment, NFC-normalised: no separators, no traversal, no control or
 * bidirectional-override characters, no Windows device names or trailing dots, at most 200 bytes.
 */

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const FORBIDDEN_CHARACTERS = /[<>:"/\\|?*]/g;
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
    if (decoded === current) return current;
    current = decoded;
  }
  return current;
}

function truncateUtf8(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const stemBudget = maxBytes - Buffer.byteLength(extension);
  const stemBytes = Buffer.from(name.slice(0, name.length - extension.length)).subarray(0, stemBudget);
  // A cut in the middle of a multi-byte character decodes to U+FFFD: drop it.
  const stem = stemBytes.toString('utf8').replace(/\uFFFD+$/, '');
  return stem + extension;
}

/** Returns a safe file name, or null when nothing usable is left. */
export function sanitizeFileName(raw: string): string | null {
  let name = decodeRepeatedly(raw).normalize('NFC');
  // Keep only the last path segment whatever the separator style (../../x, C:\x, \\host\share\x).
  const segments = name.split(/[/\\]+/);
  name = segments[segments.length - 1] ?? '';
  name = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  // Bidirectional overrides make "evil\u202Egnp.safetensors" read as another name than it is.
  name = name.replace(BIDI_OVERRIDES, '');
  name = name.replace(FORBIDDEN_CHARACTERS, '_');
  name = name.trim().replace(/[. ]+$/g, '');
  name = name.replace(/^\.+/, '');
  if (name === '' || name === '.' || name === '..') return null;
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  name = truncateUtf8(name, MAX_NAME_BYTES);
  return name === '' ? null : name;
}
