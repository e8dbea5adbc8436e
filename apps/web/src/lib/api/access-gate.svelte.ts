/**
 * Whether the server asked for its access token (MODELDOCK_ACCESS_TOKEN). Every call passes
 * through `accessTokenLink`, so the first one refused for want of the token brings up the form,
 * whichever page made it. A browser cannot read why a WebSocket was refused, so the HTTP calls
 * every page makes on load are what notice.
 */
import { TRPCClientError } from '@trpc/client';
import type { TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '@modeldock/client';

/** The server's code for a call without its token; UNAUTHORIZED alone also means a refused hub key. */
const ACCESS_TOKEN_REQUIRED = 'ACCESS_TOKEN_REQUIRED';

/** `required` turns true once the server refused a call for want of the access token. */
export const accessGate = $state({ required: false });

function isAccessTokenRefusal(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const data = (error as TRPCClientError<never>).data as { modeldockCode?: unknown } | undefined;
  return data?.modeldockCode === ACCESS_TOKEN_REQUIRED;
}

/** Passes every call through unchanged, and raises the gate when one is refused for the token. */
export const accessTokenLink: TRPCLink<AppRouter> =
  () =>
  ({ next, op }) =>
    observable((observer) =>
      next(op).subscribe({
        next: (value) => observer.next(value),
        error: (error) => {
          if (isAccessTokenRefusal(error)) accessGate.required = true;
          observer.error(error);
        },
        complete: () => observer.complete(),
      }),
    );
