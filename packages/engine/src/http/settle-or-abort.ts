/**
 * A deadline that holds whatever the HTTP library does: settles with `pending`, or rejects as soon
 * as `signal` aborts even when `pending` never settles (undici can lose a pool slot and leave a
 * queued request waiting for good). A result that arrives after that is handed to `discardLate`.
 */
export function settleOrAbort<T>(
  pending: Promise<T>,
  signal: AbortSignal,
  discardLate: (late: T) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let abandoned = false;
    const onAbort = () => {
      abandoned = true;
      reject(signal.reason ?? new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (abandoned) discardLate(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!abandoned) reject(error);
      },
    );
  });
}
