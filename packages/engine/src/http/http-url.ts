/** Parsing download URLs, and showing them in logs and errors without their secrets. */
import { ModeldockError } from '../errors';
import { redactSecrets } from '../secrets/redact';

/** A URL as it may appear in a log or an error: no query string (signatures, tokens), no user info. */
export function describeUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return redactSecrets(String(url).replace(/[?#].*$/s, ''));
  }
  const query = parsed.search ? '?…' : '';
  return redactSecrets(`${parsed.protocol}//${parsed.host}${parsed.pathname}${query}`);
}

/** Parses a URL a download may use: absolute, http or https. */
export function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ModeldockError('INVALID_URL', `"${describeUrl(raw)}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModeldockError(
      'UNSUPPORTED_SCHEME',
      `Only http and https downloads are supported, not "${url.protocol.replace(/:$/, '')}"`,
    );
  }
  return url;
}
