/** Job and file ids: UUIDv7, ordered by creation even within one millisecond or when the clock steps back. */
import { describe, expect, it } from 'vitest';
import { createTimeOrderedId } from '@modeldock/db/testing';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createTimeOrderedId', () => {
  it('makes RFC 9562 version 7 UUIDs carrying the time', () => {
    const ms = Date.parse('2031-05-06T07:08:09.010Z');
    const id = createTimeOrderedId(ms);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(ms);
  });

  it('sorts in creation order within one millisecond, past the 4096 the counter holds', () => {
    const ms = Date.parse('2032-01-01T00:00:00.000Z');
    const ids = Array.from({ length: 5_000 }, () => createTimeOrderedId(ms));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('never goes backwards when the clock does', () => {
    const later = createTimeOrderedId(Date.parse('2033-01-01T00:00:00.000Z'));
    const earlier = createTimeOrderedId(Date.parse('2020-01-01T00:00:00.000Z'));
    expect(earlier > later).toBe(true);
    expect(earlier).toMatch(UUID_V7);
  });
});
