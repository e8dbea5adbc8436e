/**
 * The library's live feed across processes: what this process publishes goes out on the channel,
 * what another process sends reaches this process's subscribers (and is not sent back), and a
 * malformed or oversized message never breaks anything.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { libraryEventRelayOver } from '@modeldock/engine';
import type { LibraryEvent, MessageChannel } from '@modeldock/engine';
import { createModelLibraryFixture, sharedDatabase } from '../helpers/model-library-fixture';
import type { ModelLibraryFixture } from '../helpers/model-library-fixture';

const shared = sharedDatabase();
let f: ModelLibraryFixture | null = null;
afterEach(async () => {
  await f?.library.stop();
  await f?.cleanup();
  f = null;
});
afterAll(async () => {
  await shared.close();
});

/** The channel as one process sees it; `fromOther` plays a message another process sent. */
function fakeChannel(maxLength = 7_900) {
  const sent: string[] = [];
  const listeners = new Set<(message: string) => void>();
  const channel: MessageChannel = {
    async send(message) {
      if (message.length > maxLength) return false;
      sent.push(message);
      return true;
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    channel,
    sent,
    fromOther: (message: string) => listeners.forEach((listener) => listener(message)),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('library events across processes', () => {
  it('sends what this process publishes, and delivers what another one sent without sending it back', async () => {
    const bus = fakeChannel();
    f = await createModelLibraryFixture(
      shared,
      { scanIntervalMs: null },
      libraryEventRelayOver(bus.channel),
    );
    await f.library.start();
    const seen: LibraryEvent[] = [];
    f.library.subscribe((event) => seen.push(event));
    await settle();
    // The scan queued at start publishes its task's progress too. On an empty library it may be
    // over within the settle above, so its messages are looked for here, before the slate is wiped.
    expect(
      bus.sent.some((message) => (JSON.parse(message) as { type: string }).type === 'task'),
    ).toBe(true);
    bus.sent.length = 0;

    // Only entries are looked at from here on (the scan may still be reporting).
    const sentEntries = () =>
      bus.sent
        .map((message) => JSON.parse(message) as { type: string })
        .filter((event) => event.type === 'entries');
    f.library.entriesChanged(['here']);
    await settle();
    expect(sentEntries()).toEqual([{ type: 'entries', ids: ['here'] }]);

    bus.fromOther(JSON.stringify({ type: 'entries', ids: ['there'] }));
    bus.fromOther('not json');
    bus.fromOther(JSON.stringify({ type: 'entries', ids: [42] }));
    bus.fromOther(JSON.stringify({ type: 'task', task: { id: 7 } }));
    bus.fromOther(JSON.stringify({ type: 'something else' }));
    await settle();
    expect(
      seen
        .filter((event) => event.type === 'entries')
        .map((event) => event.type === 'entries' && event.ids),
    ).toEqual([['here'], ['there']]);
    expect(sentEntries()).toHaveLength(1);

    await f.library.stop();
    bus.fromOther(JSON.stringify({ type: 'entries', ids: ['after stop'] }));
    expect(seen.some((event) => event.type === 'entries' && event.ids?.[0] === 'after stop')).toBe(
      false,
    );
    // Opening the embedded database for the fixture takes over a minute on a loaded machine.
  }, 240_000);

  it('says "entries changed" without ids when they do not fit in one message', async () => {
    const bus = fakeChannel(200);
    const relay = libraryEventRelayOver(bus.channel);
    relay.send({
      type: 'entries',
      ids: Array.from({ length: 50 }, (_, index) => `entry-${index}`),
    });
    await settle();
    expect(bus.sent.map((message) => JSON.parse(message))).toEqual([
      { type: 'entries', ids: null },
    ]);
  });
});
