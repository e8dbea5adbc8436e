/**
 * Server messages say what to do ("request access at https://…", "add a key in Settings"). This
 * splits a message into text and links so the page can make those words clickable, without ever
 * rendering the message as HTML.
 */

export type MessagePart =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string; external: boolean };

/** Codes whose fix is a key in Settings. */
const CREDENTIAL_CODES: ReadonlySet<string> = new Set([
  'AUTH_REQUIRED',
  'INVALID_TOKEN',
  'GATED_REPO',
  'GATED_NOT_APPROVED',
  'EARLY_ACCESS',
]);

export function needsCredentials(code: string | null | undefined): boolean {
  return code !== null && code !== undefined && CREDENTIAL_CODES.has(code);
}

const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;
const SETTINGS_WORD = /\bSettings\b/g;
const TRAILING_PUNCTUATION = /[.,;:!?'"]+$/;

/** "https://hf.co/org/repo)," in prose ends before the comma, and before a ")" it did not open. */
function trimUrl(candidate: string): string {
  let url = candidate.replace(TRAILING_PUNCTUATION, '');
  while (url.endsWith(')') && !url.includes('(')) {
    url = url.slice(0, -1).replace(TRAILING_PUNCTUATION, '');
  }
  return url;
}

function splitSettingsWord(text: string, settingsHref: string | null): MessagePart[] {
  if (!settingsHref) return text ? [{ kind: 'text', text }] : [];
  const parts: MessagePart[] = [];
  let last = 0;
  for (const match of text.matchAll(SETTINGS_WORD)) {
    if (match.index > last) parts.push({ kind: 'text', text: text.slice(last, match.index) });
    parts.push({ kind: 'link', text: match[0], href: settingsHref, external: false });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/**
 * http(s) links become external links; when `settingsHref` is given (the error is about a missing or
 * refused key), the word "Settings" links to the settings page.
 */
export function linkifyMessage(message: string, settingsHref: string | null = null): MessagePart[] {
  const parts: MessagePart[] = [];
  let last = 0;
  for (const match of message.matchAll(URL_PATTERN)) {
    const url = trimUrl(match[0]);
    if (!URL.canParse(url)) continue;
    parts.push(...splitSettingsWord(message.slice(last, match.index), settingsHref));
    parts.push({ kind: 'link', text: url, href: url, external: true });
    last = match.index + url.length;
  }
  parts.push(...splitSettingsWord(message.slice(last), settingsHref));
  return parts;
}

/** Whether the message already points at Settings, so the page need not add its own link. */
export function mentionsSettings(message: string): boolean {
  return /\bSettings\b/.test(message);
}
