/** Makes every failed call reject with a ModeldockClientError (still a TRPCClientError). */
import type { TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from './api-types';
import { toModeldockClientError } from './errors';

export function modeldockErrorLink(url: string): TRPCLink<AppRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (error) => observer.error(toModeldockClientError(error, url)),
          complete: () => observer.complete(),
        }),
      );
}
