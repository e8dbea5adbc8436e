/**
 * Wrong access-token guesses are slowed per client address: a few typing mistakes are free, then
 * each further wrong guess shuts that address out for twice as long as the last (1 s, 2 s, 4 s … up
 * to 15 min). While shut out, every attempt that presents a token — right or wrong — is refused
 * with 429, so a guesser gains nothing by sending faster. A right token resets the count.
 *
 * Only presented tokens count (a bearer header, the sign-in form). A stale session cookie is not a
 * guess: it is an HMAC no one can forge, and a browser left signed in after the token changed must
 * not lock its own address out.
 */
export interface GuessThrottleOptions {
  /** Milliseconds since the epoch; injected so tests drive time. */
  now: () => number;
  /** Wrong guesses an address may make before it is slowed. */
  freeGuesses?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Addresses remembered at most; the oldest are forgotten first (bounded memory under a flood). */
  maxAddresses?: number;
}

interface GuessRecord {
  wrong: number;
  blockedUntil: number;
}

export interface GuessThrottle {
  /** Milliseconds until `address` may present a token again; 0 when it may now. */
  waitMs(address: string): number;
  /** Records a wrong guess; returns the wait it earned (0 while still within the free guesses). */
  recordWrong(address: string): { wrong: number; waitMs: number };
  recordRight(address: string): void;
}

export const DEFAULT_FREE_GUESSES = 5;

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
export function clientAddressKey(remoteAddress: string | undefined): string {
  const address = (remoteAddress ?? 'unknown').toLowerCase();
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function createGuessThrottle(options: GuessThrottleOptions): GuessThrottle {
  const {
    now,
    freeGuesses = DEFAULT_FREE_GUESSES,
    baseDelayMs = 1_000,
    maxDelayMs = 15 * 60_000,
    maxAddresses = 10_000,
  } = options;
  // A Map iterates in insertion order: re-inserting on every guess keeps the oldest first.
  const records = new Map<string, GuessRecord>();

  function remember(address: string, record: GuessRecord): void {
    records.delete(address);
    records.set(address, record);
    while (records.size > maxAddresses) {
      const oldest = records.keys().next().value as string;
      records.delete(oldest);
    }
  }

  return {
    waitMs(address) {
      const record = records.get(address);
      return record ? Math.max(0, record.blockedUntil - now()) : 0;
    },
    recordWrong(address) {
      const wrong = (records.get(address)?.wrong ?? 0) + 1;
      const beyondFree = wrong - freeGuesses;
      const waitMs =
        beyondFree <= 0 ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(beyondFree - 1, 30));
      remember(address, { wrong, blockedUntil: now() + waitMs });
      return { wrong, waitMs };
    },
    recordRight(address) {
      records.delete(address);
    },
  };
}
