/**
 * How many bytes a connection asks for next when a large file is fetched in pieces. Pieces are taken
 * in file order so the written prefix — all the hasher may read — grows with the download, and the
 * SHA-256 is ready moments after the last byte instead of needing a second pass over the file.
 *
 * Each request costs one round trip of idle connection, so a piece must last many round trips:
 * its size follows the measured time to first byte and per-connection rate (a piece lasts at least
 * PIECE_ROUND_TRIPS round trips and MIN_PIECE_SECONDS), within [floor, MAX_PIECE_BYTES]. On a LAN
 * or a fast local origin pieces stay small (the hash trails the download by little); across the
 * internet they grow until the round trips cost a few percent at most.
 */

/** A piece lasts at least this many round trips, so waiting for its headers costs ≤ ~3 %. */
const PIECE_ROUND_TRIPS = 32;
const MIN_PIECE_SECONDS = 0.1;
const MAX_PIECE_BYTES = 256 * 1024 * 1024;
/** A split at the end hands over at least this many round trips' worth of bytes. */
const SPLIT_ROUND_TRIPS = 8;
const MIN_SPLIT_BYTES = 256 * 1024;
/** Weight of the newest sample in the moving averages. */
const SMOOTHING = 0.3;

function smooth(previous: number | null, sample: number): number {
  return previous === null ? sample : previous + SMOOTHING * (sample - previous);
}

export class PieceSizer {
  #roundTripMs: number | null = null;
  #bytesPerSecond: number | null = null;

  constructor(
    /** Smallest piece (and the size of the first ones, before anything is measured). */
    private readonly floorBytes: number,
    /** Largest piece a split may leave (the old fixed minimum, when it is below the adaptive one). */
    private readonly splitCeilingBytes: number,
  ) {}

  /** A request's headers arrived `ms` after it was sent. */
  noteTimeToFirstByte(ms: number): void {
    if (ms >= 0 && Number.isFinite(ms)) this.#roundTripMs = smooth(this.#roundTripMs, ms);
  }

  /** One connection moved `bytes` of body in `ms`. */
  noteBody(bytes: number, ms: number): void {
    // Very short bodies say more about timers than about the link.
    if (bytes <= 0 || !(ms >= 5)) return;
    this.#bytesPerSecond = smooth(this.#bytesPerSecond, (bytes * 1000) / ms);
  }

  /** Bytes for the next piece a connection claims. */
  pieceBytes(): number {
    if (this.#bytesPerSecond === null) return this.floorBytes;
    const seconds = Math.max(
      MIN_PIECE_SECONDS,
      (PIECE_ROUND_TRIPS * (this.#roundTripMs ?? 0)) / 1000,
    );
    const wanted = Math.ceil(this.#bytesPerSecond * seconds);
    return Math.max(this.floorBytes, Math.min(MAX_PIECE_BYTES, wanted));
  }

  /** The least a split may hand to an idle connection: less is not worth a request. */
  minSplitBytes(): number {
    if (this.#bytesPerSecond === null) return this.splitCeilingBytes;
    const worth = Math.ceil(
      (this.#bytesPerSecond * SPLIT_ROUND_TRIPS * (this.#roundTripMs ?? 0)) / 1000,
    );
    return Math.min(this.splitCeilingBytes, Math.max(MIN_SPLIT_BYTES, worth));
  }
}
