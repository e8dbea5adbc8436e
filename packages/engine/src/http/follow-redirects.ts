/**
 * Follows redirects hop by hop so every hop is checked: http/https only, at most `maxRedirects`,
 * loops refused, relative Locations resolved, and `Authorization` sent only to the origin of the
 * URL the user asked for — a signed storage URL on another host never sees the API key.
 */
import { ModeldockError } from '../errors';
import type { HttpClient, HttpResponse } from '../ports';
import { describeUrl, parseHttpUrl } from './http-url';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FollowRequest {
  url: string;
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  /** Sent as `Authorization` only while the request stays on `authorizationOrigin`. */
  authorization?: string | null;
  /** The origin the credential belongs to; defaults to the origin of `url`. */
  authorizationOrigin?: string;
  signal: AbortSignal;
  maxRedirects: number;
}

export interface FollowedResponse {
  response: HttpResponse;
  /** Where the response came from (may carry a signature: describe it with describeUrl). */
  finalUrl: string;
  /** How many redirects were followed. */
  hops: number;
}

export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/** The absolute form of a Location header; throws a ModeldockError when it is no URL at all. */
function resolveLocation(location: string, base: URL): string {
  try {
    return new URL(location, base).href;
  } catch {
    throw new ModeldockError('INVALID_URL', 'the Location is not a valid URL');
  }
}

export async function followRedirects(
  http: HttpClient,
  request: FollowRequest,
): Promise<FollowedResponse> {
  const original = parseHttpUrl(request.url);
  const authorizationOrigin = request.authorizationOrigin ?? original.origin;
  let current = original;
  const visited = new Set<string>([current.href]);
  for (let hops = 0; ; hops++) {
    const headers = { ...request.headers };
    if (request.authorization && current.origin === authorizationOrigin)
      headers.authorization = request.authorization;
    const response = await http.request({
      url: current.href,
      method: request.method,
      headers,
      signal: request.signal,
    });
    const location = response.headers.location;
    if (!isRedirect(response.status) || !location) {
      return { response, finalUrl: current.href, hops };
    }
    await response.dump();
    let next: URL;
    try {
      next = parseHttpUrl(resolveLocation(location, current));
    } catch (error) {
      // Both steps throw only ModeldockErrors (INVALID_URL, UNSUPPORTED_SCHEME).
      const reason = error as ModeldockError;
      throw new ModeldockError(
        reason.code,
        `Redirect from ${describeUrl(current)} refused: ${reason.message}`,
      );
    }
    if (visited.has(next.href)) {
      throw new ModeldockError(
        'TOO_MANY_REDIRECTS',
        `The server redirects in a loop (${describeUrl(current)} → ${describeUrl(next)}); the link may be broken`,
      );
    }
    if (hops + 1 > request.maxRedirects) {
      throw new ModeldockError(
        'TOO_MANY_REDIRECTS',
        `Gave up after ${request.maxRedirects} redirects starting at ${describeUrl(original)}`,
      );
    }
    visited.add(next.href);
    current = next;
  }
}
