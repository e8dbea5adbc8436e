/**
 * One place that knows what a secret looks like. Every string that leaves the engine for a log,
 * an error, an event or the database passes through `redactSecrets`.
 */

const registeredSecrets = new Set<string>();

/** Remember a secret value (an API key just read from storage) so it is masked wherever it appears. */
export function registerSecret(value: string | null | undefined): void {
  if (value && value.length >= 6) registeredSecrets.add(value);
}

export function forgetSecret(value: string): void {
  registeredSecrets.delete(value);
}

// Signed-URL parameters of S3 (x-amz-*), Google Cloud Storage (x-goog-*), Azure (sig) and CDNs.
const SECRET_QUERY_PARAMS =
  /([?&](?:token|access_token|api_key|apikey|key|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|policy|expires|credential)=)[^&#\s"']*/gi;
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const AUTH_HEADER = /((?:authorization|cookie|x-api-key)["']?\s*[:=]\s*["']?)[^"',\s}]+/gi;
const HF_TOKEN = /\bhf_[A-Za-z0-9]{8,}\b/g;
// The server's browser session cookie, wherever a header dump or a message might carry it.
const SESSION_COOKIE = /(modeldock_session=)[^;,\s"']+/gi;
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi;

export function redactSecrets(text: string): string {
  let result = text
    .replace(SECRET_QUERY_PARAMS, '$1[redacted]')
    .replace(BEARER, '$1[redacted]')
    .replace(AUTH_HEADER, '$1[redacted]')
    .replace(HF_TOKEN, '[redacted]')
    .replace(SESSION_COOKIE, '$1[redacted]')
    .replace(USERINFO, '$1[redacted]@');
  for (const secret of registeredSecrets) {
    if (result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result;
}

/** A URL safe to store and log: credentials and signatures removed, the rest kept for a person to read. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}
