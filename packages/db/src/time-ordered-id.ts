/**
 * UUIDv7 identifiers (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter, then random
 * bits. They sort by creation time, and the counter keeps ids made within the same millisecond in
 * order too, so "newest first" is well defined even for jobs created in one burst. URL-safe as is.
 */
import { randomBytes } from 'node:crypto';

const MAX_COUNTER = 0xfff;

let lastMs = -1;
let counter = 0;

export function createTimeOrderedId(nowMs: number = Date.now()): string {
  let ms = Math.max(nowMs, lastMs);
  if (ms === lastMs) {
    counter++;
    // The counter ran out within one millisecond: borrow the next one rather than lose the order.
    if (counter > MAX_COUNTER) {
      ms++;
      counter = 0;
    }
  } else {
    counter = 0;
  }
  lastMs = ms;

  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
