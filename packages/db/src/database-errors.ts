/**
 * The part of a database failure a person can act on. Drizzle wraps driver errors as
 * "Failed query: <the whole statement>"; the driver's own message underneath ("connect
 * ECONNREFUSED 127.0.0.1:5432", 'relation "jobs" already exists') is what belongs in a message.
 */
export function describeDatabaseError(error: unknown): string {
  let current: unknown = error;
  for (
    let depth = 0;
    depth < 8 && current instanceof Error && current.cause instanceof Error;
    depth++
  ) {
    current = current.cause;
  }
  const message = current instanceof Error ? current.message : String(current);
  return message.split('\n')[0]!.trim() || 'unknown error';
}
