/**
 * Civitai descriptions are HTML written by model authors: hostile until proven otherwise. Only
 * text formatting, lists, headings, links and images survive; scripts, styles, event handlers,
 * iframes, forms and javascript: URLs are dropped, and links open in a new tab without an opener.
 * sanitize-html (allow-list based, on htmlparser2) runs in Node without a DOM; see the README.
 */
import sanitizeHtml from 'sanitize-html';

/** Longest description kept, before sanitising (a description is text, not a file). */
const MAX_INPUT_CHARS = 200_000;

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'hr', 'b', 'strong', 'i', 'em', 'u', 's', 'del', 'code', 'pre', 'blockquote',
    'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'a', 'img', 'span', 'div',
    'table', 'thead', 'tbody', 'tr', 'th', 'td',
  ],
  allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title', 'width', 'height'] },
  allowedSchemes: ['https', 'http'],
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  // Dropped with their content: a script's text must not turn into visible text either.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed'],
  disallowedTagsMode: 'discard',
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { target: '_blank', rel: 'noopener noreferrer nofollow' }),
  },
};

// transformTags adds target/rel after filtering, so they must be allowed too.
OPTIONS.allowedAttributes = { ...OPTIONS.allowedAttributes, a: ['href', 'title', 'target', 'rel'] };

export function sanitiseDescription(html: string | null | undefined): string | null {
  if (typeof html !== 'string') return null;
  const clean = sanitizeHtml(html.slice(0, MAX_INPUT_CHARS), OPTIONS).trim();
  return clean === '' ? null : clean;
}

const TEXT_ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };

/** The description as plain text (sidecars other tools show as text, search). */
export function descriptionText(html: string | null | undefined): string | null {
  if (typeof html !== 'string') return null;
  const text = sanitizeHtml(html.slice(0, MAX_INPUT_CHARS), { allowedTags: [], allowedAttributes: {}, nonTextTags: OPTIONS.nonTextTags })
    .replace(/\s+/g, ' ')
    .replace(/&(lt|gt|quot|#39|amp);/g, (entity) => TEXT_ENTITIES[entity] ?? entity)
    .trim();
  return text === '' ? null : text;
}
