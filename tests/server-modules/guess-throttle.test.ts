/**
 * The access-token guess throttle on an injected clock: five free wrong guesses per address, then
 * waits that double up to a ceiling; a right token resets; addresses are counted apart; memory is
 * bounded.
 */
import { describe, expect, it } from 'vitest';
import { clientAddressKey, createGuessThrottle } from '../../apps/server/src/http/guess-throttle';

function throttleAt(start = 1_000_000, options: { maxAddresses?: number } = {}) {
  let now = start;
  const throttle = createGuessThrottle({ now: () => now, ...options });
  return { throttle, advance: (ms: number) => (now += ms) };
}

describe('guess throttle', () => {
  it('lets five wrong guesses through, then doubles the wait per further guess up to 15 minutes', () => {
    const { throttle } = throttleAt();
    const waits = Array.from({ length: 17 }, () => throttle.recordWrong('10.0.0.9').waitMs);
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(waits.slice(5, 10)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(waits.at(-1)).toBe(15 * 60_000);
    expect(throttle.waitMs('10.0.0.9')).toBe(15 * 60_000);
  });

  it('makes the address wait until the time has passed, on the injected clock', () => {
    const { throttle, advance } = throttleAt();
    for (let i = 0; i < 6; i += 1) throttle.recordWrong('10.0.0.9');
    expect(throttle.waitMs('10.0.0.9')).toBe(1_000);
    advance(400);
    expect(throttle.waitMs('10.0.0.9')).toBe(600);
    advance(600);
    expect(throttle.waitMs('10.0.0.9')).toBe(0);
    // The count is remembered: the next wrong guess waits twice as long.
    expect(throttle.recordWrong('10.0.0.9').waitMs).toBe(2_000);
  });

  it('forgets an address once it presents the right token, and counts addresses apart', () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < 7; i += 1) throttle.recordWrong('10.0.0.9');
    expect(throttle.waitMs('10.0.0.10')).toBe(0);
    expect(throttle.recordWrong('10.0.0.10')).toEqual({ wrong: 1, waitMs: 0 });
    throttle.recordRight('10.0.0.9');
    expect(throttle.waitMs('10.0.0.9')).toBe(0);
    expect(throttle.recordWrong('10.0.0.9')).toEqual({ wrong: 1, waitMs: 0 });
  });

  it('remembers a bounded number of addresses, forgetting the longest quiet first', () => {
    const { throttle } = throttleAt(0, { maxAddresses: 2 });
    for (let i = 0; i < 6; i += 1) throttle.recordWrong('a');
    throttle.recordWrong('b');
    for (let i = 0; i < 6; i += 1) throttle.recordWrong('c');
    expect(throttle.waitMs('a')).toBe(0);
    expect(throttle.waitMs('c')).toBe(1_000);
    expect(throttle.recordWrong('b')).toEqual({ wrong: 2, waitMs: 0 });
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 client it is', () => {
    expect(clientAddressKey('::ffff:192.168.1.20')).toBe('192.168.1.20');
    expect(clientAddressKey('192.168.1.20')).toBe('192.168.1.20');
    expect(clientAddressKey('FE80::1')).toBe('fe80::1');
    expect(clientAddressKey(undefined)).toBe('unknown');
  });
});
