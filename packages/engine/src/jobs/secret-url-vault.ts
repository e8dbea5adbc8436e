/**
 * A link the user pasted can carry a secret (`?token=`, a signed URL's signature, `user:pass@`).
 * The database keeps only the redacted form; the real link lives here, in memory, for this process.
 * After a restart the secret is gone on purpose: the job then asks for the link again.
 */
import { redactUrl } from '../secrets/redact';

/** What redaction leaves in place of a secret. */
const REDACTION_MARK = '[redacted]';

export class SecretUrlVault {
  private readonly urlByFileId = new Map<string, string>();

  /** The form safe to store: equal to `url` when it carries no secret. */
  static storable(url: string): string {
    return redactUrl(url);
  }

  /** Keeps the real link of a file whose stored URL had to be redacted. */
  remember(fileId: string, realUrl: string): void {
    if (redactUrl(realUrl) !== realUrl) this.urlByFileId.set(fileId, realUrl);
  }

  /** The link to fetch: the real one when known, else the stored one; null when a secret is missing. */
  urlToFetch(fileId: string, storedUrl: string): string | null {
    const real = this.urlByFileId.get(fileId);
    if (real) return real;
    return storedUrl.includes(REDACTION_MARK) ? null : storedUrl;
  }

  forget(fileIds: Iterable<string>): void {
    for (const fileId of fileIds) this.urlByFileId.delete(fileId);
  }
}
