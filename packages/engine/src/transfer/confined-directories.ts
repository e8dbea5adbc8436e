/**
 * Folders recently checked to lie inside the models root, shared by the files of one job run: a
 * bundle of a thousand files in one folder is checked about once a second instead of a thousand
 * times (each check is several file-system calls). A folder swapped for a link that leads outside
 * is still caught by the next check, at most a second later, as it would be if it were swapped
 * right after any check; the temp file itself is always looked at.
 */
import type { Clock } from '../ports';

/** How long a check of a folder is trusted. */
export const CONFINED_DIRECTORY_TRUST_MS = 1_000;

export class ConfinedDirectories {
  readonly #checkedAt = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly trustMs = CONFINED_DIRECTORY_TRUST_MS,
  ) {}

  /** True when `directory` was checked (and created) within the trust window. */
  isFresh(directory: string): boolean {
    const at = this.#checkedAt.get(directory);
    return at !== undefined && this.clock.now() - at < this.trustMs;
  }

  remember(directory: string): void {
    this.#checkedAt.set(directory, this.clock.now());
  }
}
