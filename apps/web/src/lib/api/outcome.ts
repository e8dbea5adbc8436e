/** Every call the page makes returns its failure as a value to show, never as a throw. */
import { describeApiError } from './api-error';
import type { ApiErrorView } from './api-error';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiErrorView };

export async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: describeApiError(error) };
  }
}
