/**
 * A generated picture for a model with no usable image, so the grid has no holes: its initials on
 * a colour derived from its name, and its type underneath. Plain SVG; every text is escaped.
 */
import { createHash } from 'node:crypto';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char]!);
}

export function initialsOf(name: string): string {
  const words = name
    .replace(/\.[a-z0-9]+$/i, '')
    .split(/[\s_\-.]+|(?<=[a-z])(?=[A-Z])/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word));
  const letters = words.slice(0, 2).map((word) => [...word.replace(/[^\p{L}\p{N}]/gu, '')][0] ?? '');
  return letters.join('').toUpperCase() || '?';
}

export function placeholderSvg(name: string, type: string | null): string {
  const hue = createHash('sha256').update(name).digest()[0]! * (360 / 256);
  const label = (type ?? 'model').slice(0, 24);
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320">',
    `<rect width="320" height="320" fill="hsl(${Math.round(hue)} 35% 32%)"/>`,
    `<text x="160" y="170" font-family="sans-serif" font-size="112" font-weight="600" fill="#fff" text-anchor="middle">${escapeXml(initialsOf(name))}</text>`,
    `<text x="160" y="260" font-family="sans-serif" font-size="28" fill="#fffc" text-anchor="middle">${escapeXml(label)}</text>`,
    '</svg>',
  ].join('');
}
