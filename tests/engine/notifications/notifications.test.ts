/**
 * The notifications domain with fakes: which job events notify (once each), the centre's pages and
 * read marks, destination checks (http(s) only, private addresses as for downloads, event names),
 * and the outbox: webhook JSON and ntfy headers, per-destination events, retries with backoff on
 * an injected clock, giving up after N attempts, and "send test".
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ModeldockError,
  createNotifications,
  createTaskRunner,
  redactSecrets,
  registerSecret,
} from '@modeldock/engine';
import type { Notifications, WebhookPayload } from '@modeldock/engine';
import { FakeClock, settle } from '../jobs/helpers/fake-clock';
import { RecordingLogger } from '../jobs/helpers/recording-logger';
import { MemoryNotificationStore } from '../../support/memory-notification-store';
import { ScriptedHttp, jobSummary, statusEvent } from './notification-helpers';

const T0 = Date.parse('2031-02-03T04:05:06.000Z');

function setUp(options: { allowPrivateHosts?: boolean; maxAttempts?: number } = {}) {
  const store = new MemoryNotificationStore();
  const http = new ScriptedHttp();
  const clock = new FakeClock(T0);
  const logger = new RecordingLogger();
  const tasks = createTaskRunner({ clock, logger });
  const notifications = createNotifications({
    store,
    http,
    clock,
    logger,
    tasks,
    workerId: 'worker-a',
    allowPrivateHosts: options.allowPrivateHosts ?? false,
    delivery: {
      maxAttempts: options.maxAttempts ?? 3,
      backoff: { firstMs: 30_000, maxMs: 120_000 },
      pollMs: 5_000,
    },
  });
  return { store, http, clock, logger, tasks, notifications };
}

function subscribable() {
  const listeners = new Set<(event: ReturnType<typeof statusEvent>) => void>();
  return {
    subscribe(listener: (event: ReturnType<typeof statusEvent>) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event: ReturnType<typeof statusEvent>) {
      for (const listener of listeners) listener(event);
    },
  };
}

describe('notifications from jobs', () => {
  it('records completed, failed (with its error) and a partly failed bundle, once per stored event', async () => {
    const { notifications } = setUp();
    const jobs = subscribable();
    const stop = notifications.watchJobs(jobs);
    jobs.emit(statusEvent('10', jobSummary()));
    jobs.emit(statusEvent('10', jobSummary()));
    jobs.emit(
      statusEvent(
        '11',
        jobSummary({
          id: 'job-2',
          status: 'failed',
          error: { code: 'HASH_MISMATCH', message: 'SHA-256 does not match', at: 0 } as never,
        }),
      ),
    );
    const bundleFiles = [
      { ...jobSummary().files[0]!, name: 'a.safetensors', relativePath: 'loras/a.safetensors' },
      {
        ...jobSummary().files[0]!,
        name: 'b.safetensors',
        relativePath: 'loras/b.safetensors',
        status: 'failed' as const,
      },
    ];
    jobs.emit(
      statusEvent(
        '12',
        jobSummary({
          id: 'job-3',
          status: 'failed',
          files: bundleFiles,
          error: {
            code: 'REMOTE_NOT_FOUND',
            message: '1 of 2 files failed; b.safetensors: not found',
            at: 0,
          } as never,
        }),
      ),
    );
    jobs.emit(statusEvent('13', jobSummary({ id: 'job-4', status: 'cancelled' })));
    jobs.emit({ id: '14', jobId: 'job-5', type: 'created', job: jobSummary({ id: 'job-5' }) });
    jobs.emit({ id: '14.1', jobId: 'job-5', type: 'progress', job: jobSummary({ id: 'job-5' }) });
    await settle();
    stop();
    jobs.emit(statusEvent('15', jobSummary({ id: 'job-6' })));
    await settle();

    const page = await notifications.list();
    expect(page.unread).toBe(3);
    expect(page.items.map((item) => [item.event, item.title, item.message])).toEqual([
      [
        'bundle.partial',
        'Bundle partly failed: 1 of 2 files',
        '1 of 2 files failed; b.safetensors: not found',
      ],
      ['download.failed', 'Download failed: flux.safetensors', 'SHA-256 does not match'],
      [
        'download.completed',
        'Downloaded flux.safetensors',
        'checkpoints/flux.safetensors (2.0 MB) is ready',
      ],
    ]);
    const subject = page.items[2]!.subject;
    expect(subject).toMatchObject({
      type: 'job',
      jobId: 'job-1',
      status: 'completed',
      fileCount: 1,
    });
    // The source keeps no query (signatures, tokens).
    expect(subject.source).toBe('https://files.example/models/flux.safetensors?…');
    expect(JSON.stringify(page)).not.toContain('abcdefgh123456');
  });

  it('never throws at the work that raised it: a store failure is logged and publish answers null', async () => {
    const { store, notifications, logger } = setUp();
    store.addNotification = async () => {
      throw new ModeldockError('DATABASE_UNAVAILABLE', 'database is down');
    };
    await expect(
      notifications.reportMaintenance({ updates: 1, previewsRecovered: 2, missing: 3 }),
    ).resolves.toBeNull();
    expect(logger.find('could not record a notification')?.fields).toMatchObject({
      event: 'maintenance.report',
      message: 'database is down',
    });
  });

  it('says what maintenance found and which key stopped working, never the key', async () => {
    const { notifications } = setUp();
    registerSecret('hf_SECRETSECRETSECRET');
    const report = await notifications.reportMaintenance({
      updates: 3,
      previewsRecovered: 1,
      missing: 0,
      taskIds: ['t1'],
      dedupeKey: 'maintenance:run-1',
    });
    expect(report).toMatchObject({
      event: 'maintenance.report',
      title: 'Maintenance finished',
      message: '3 updates, 1 preview recovered, 0 models missing',
      subject: { updates: 3, previewsRecovered: 1, missing: 0, taskIds: ['t1'] },
    });
    expect(
      await notifications.reportMaintenance({
        updates: 0,
        previewsRecovered: 0,
        missing: 0,
        dedupeKey: 'maintenance:run-1',
      }),
    ).toBeNull();
    const key = await notifications.reportKeyInvalid({
      platform: 'huggingface',
      platformName: 'Hugging Face',
      reason: 'Hugging Face refused the token hf_SECRETSECRETSECRET',
      dedupeKey: 'key:huggingface:v1',
    });
    expect(key).toMatchObject({
      event: 'key.invalid',
      title: 'Hugging Face API key stopped working',
      subject: { type: 'apiKey', platform: 'huggingface' },
    });
    expect(key!.message).not.toContain('hf_SECRET');
  });
});

describe('notification centre', () => {
  it('pages newest first and marks read by id or all', async () => {
    const { notifications, clock } = setUp();
    for (let n = 0; n < 5; n++) {
      await notifications.reportMaintenance({
        updates: n,
        previewsRecovered: 0,
        missing: 0,
        dedupeKey: `m${n}`,
      });
      await clock.advance(1000);
    }
    const first = await notifications.list({ limit: 2 });
    expect(first.items.map((item) => item.subject.updates)).toEqual([4, 3]);
    expect(first.nextCursor).toBe(first.items[1]!.id);
    const rest = await notifications.list({ limit: 10, cursor: first.nextCursor });
    expect(rest.items.map((item) => item.subject.updates)).toEqual([2, 1, 0]);
    expect(rest.nextCursor).toBeNull();
    expect(await notifications.markRead({ ids: [first.items[0]!.id, 'not an id!'] })).toEqual({
      marked: 1,
      unread: 4,
    });
    expect((await notifications.list({ limit: 1 })).items[0]).toMatchObject({
      read: true,
      readAt: new Date(T0 + 5000).toISOString(),
    });
    expect(await notifications.markRead({ all: true })).toEqual({ marked: 4, unread: 0 });
    await expect(notifications.list({ cursor: 'x y' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('notification destinations', () => {
  let ctx: ReturnType<typeof setUp>;
  beforeEach(() => {
    ctx = setUp();
  });

  it.each([
    [
      { kind: 'webhook', url: 'ftp://hooks.example/x' },
      'UNSUPPORTED_SCHEME',
      /^url must be http or https/,
    ],
    [
      { kind: 'webhook', url: 'not a url' },
      'INVALID_INPUT',
      /^url must be an absolute http\(s\) URL/,
    ],
    [{ kind: 'webhook', url: '' }, 'INVALID_INPUT', /^url must be/],
    [
      { kind: 'webhook', url: 'http://127.0.0.1:9000/hook' },
      'PRIVATE_ADDRESS',
      /^url points to 127\.0\.0\.1/,
    ],
    [
      { kind: 'ntfy', url: 'http://localhost/topic' },
      'PRIVATE_ADDRESS',
      /^url points to localhost/,
    ],
    [
      { kind: 'webhook', url: 'http://[::ffff:10.0.0.1]/hook' },
      'PRIVATE_ADDRESS',
      /^url points to/,
    ],
    [
      { kind: 'webhook', url: 'http://169.254.169.254/latest' },
      'PRIVATE_ADDRESS',
      /^url points to/,
    ],
    [
      { kind: 'ntfy', url: 'https://ntfy.example/' },
      'INVALID_INPUT',
      /^url must name the ntfy topic/,
    ],
    [
      { kind: 'email', url: 'https://hooks.example/x' },
      'INVALID_INPUT',
      /^kind must be one of webhook, ntfy/,
    ],
    [
      { kind: 'webhook', url: 'https://hooks.example/x', events: ['download.done'] },
      'INVALID_INPUT',
      /^events\.0: "download\.done" is not an event/,
    ],
    [
      { kind: 'webhook', url: 'https://hooks.example/x', events: 'download.failed' },
      'INVALID_INPUT',
      /^events must be a list/,
    ],
    [
      { kind: 'webhook', url: `https://hooks.example/${'x'.repeat(2100)}` },
      'INVALID_INPUT',
      /^url is too long/,
    ],
  ])('refuses %s with %s naming the field, and stores nothing', async (input, code, message) => {
    const error = await ctx.notifications.destinations
      .add(input)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toMatch(message);
    expect(await ctx.notifications.destinations.list()).toEqual([]);
  });

  it('allows LAN addresses only with the operator opt-in, and never shows user info or query', async () => {
    const lan = setUp({ allowPrivateHosts: true });
    const added = await lan.notifications.destinations.add({
      kind: 'webhook',
      url: 'http://alice:pa55word-xyz@192.168.1.20:8080/hook?secret=s3cr3t-value',
    });
    expect(added).toMatchObject({
      kind: 'webhook',
      url: 'http://192.168.1.20:8080/hook?…',
      events: [],
      pendingDeliveries: 0,
      failedDeliveries: 0,
      lastError: null,
    });
    // Stored as given, to send with.
    expect(lan.store.destinations[0]!.url).toBe(
      'http://alice:pa55word-xyz@192.168.1.20:8080/hook?secret=s3cr3t-value',
    );
    expect(JSON.stringify(await lan.notifications.destinations.list())).not.toMatch(
      /alice|pa55word|s3cr3t/,
    );
    expect(lan.logger.text()).not.toMatch(/alice|pa55word|s3cr3t/);
  });

  it('refuses a host name that resolves to a private address when it is added; one that does not resolve yet is kept', async () => {
    const answers: Record<string, string[] | Error> = {
      'hooks.lan.example': ['203.0.114.9', '192.168.1.7'],
      'hooks.example': ['93.184.216.34'],
      'not-yet.example': Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }),
    };
    const store = new MemoryNotificationStore();
    const guarded = createNotifications({
      store,
      http: new ScriptedHttp(),
      clock: new FakeClock(T0),
      logger: new RecordingLogger(),
      workerId: 'w',
      allowPrivateHosts: false,
      resolveAll: (hostname, _options, callback) => {
        const answer = answers[hostname] ?? [];
        if (answer instanceof Error) callback(answer as NodeJS.ErrnoException, []);
        else
          callback(
            null,
            answer.map((address) => ({ address, family: 4 })),
          );
      },
    });
    const error = await guarded.destinations
      .add({ kind: 'webhook', url: 'https://hooks.lan.example/x' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'PRIVATE_ADDRESS' });
    expect((error as Error).message).toMatch(
      /^url points to hooks\.lan\.example, which resolves to 192\.168\.1\.7/,
    );
    expect(store.destinations).toHaveLength(0);
    await guarded.destinations.add({ kind: 'webhook', url: 'https://hooks.example/x' });
    await guarded.destinations.add({ kind: 'ntfy', url: 'https://not-yet.example/topic' });
    expect(store.destinations.map((destination) => destination.url)).toEqual([
      'https://hooks.example/x',
      'https://not-yet.example/topic',
    ]);
  });

  it("masks a destination URL's password and credential-like query values everywhere, but not plain words", async () => {
    await ctx.notifications.destinations.add({
      kind: 'ntfy',
      url: 'https://carol-the-user:p4ss-w0rd-xyz@ntfy.example/alerts?auth=tk_abcdefgh12&channel=general-news',
    });
    expect(redactSecrets('sent with p4ss-w0rd-xyz and tk_abcdefgh12')).toBe(
      'sent with [redacted] and [redacted]',
    );
    expect(redactSecrets('general-news by carol-the-user')).toBe('general-news by carol-the-user');
  });

  it('keeps each event name once and removes a destination by id', async () => {
    const added = await ctx.notifications.destinations.add({
      kind: 'ntfy',
      url: 'https://ntfy.example/models',
      events: ['download.failed', 'download.failed', 'key.invalid'],
    });
    expect(added.events).toEqual(['download.failed', 'key.invalid']);
    expect(await ctx.notifications.destinations.remove(added.id)).toEqual({ removed: true });
    expect(await ctx.notifications.destinations.remove(added.id)).toEqual({ removed: false });
    expect(await ctx.notifications.destinations.remove('../../etc')).toEqual({ removed: false });
    await expect(ctx.notifications.destinations.test(added.id)).rejects.toMatchObject({
      code: 'NOTIFICATION_DESTINATION_NOT_FOUND',
    });
  });
});

describe('delivery', () => {
  async function withDestinations(n: Notifications) {
    const webhook = await n.destinations.add({
      kind: 'webhook',
      url: 'https://bob:hunter2-secret@hooks.example/modeldock?sig=abcdef123456',
    });
    const ntfy = await n.destinations.add({
      kind: 'ntfy',
      url: 'https://ntfy.example/my-models',
      events: ['download.failed'],
    });
    return { webhook, ntfy };
  }

  it('POSTs the webhook JSON (Basic auth from the URL, not in it) and ntfy headers, each to the destinations that want the event', async () => {
    const { notifications, http, tasks } = setUp();
    await withDestinations(notifications);
    await notifications.start();
    tasks.start();
    await notifications.publish({
      event: 'download.completed',
      title: 'Downloaded ä.gguf',
      message: 'done',
      subject: { type: 'job', jobId: 'j1' },
      dedupeKey: 'k1',
    });
    await notifications.publish({
      event: 'download.failed',
      title: 'Download failed: x.gguf',
      message: 'HTTP 404',
      subject: { type: 'job', jobId: 'j2' },
      dedupeKey: 'k2',
    });
    await settle();
    expect(http.requests.map((request) => request.url)).toEqual([
      'https://hooks.example/modeldock?sig=abcdef123456',
      'https://hooks.example/modeldock?sig=abcdef123456',
      'https://ntfy.example/my-models',
    ]);
    const [first, , ntfy] = http.requests;
    expect(first!.method).toBe('POST');
    expect(first!.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('bob:hunter2-secret').toString('base64')}`,
    });
    const payload = JSON.parse(first!.body!) as WebhookPayload;
    expect(payload).toMatchObject({
      payloadVersion: 1,
      event: 'download.completed',
      title: 'Downloaded ä.gguf',
      message: 'done',
      subject: { type: 'job', jobId: 'j1' },
      test: false,
      time: new Date(T0).toISOString(),
    });
    expect(ntfy!.body).toBe('HTTP 404');
    expect(ntfy!.headers).toMatchObject({
      title: 'Download failed: x.gguf',
      tags: 'x,download.failed',
      priority: '4',
    });
    for (const request of http.requests) {
      for (const value of Object.values(request.headers))
        expect(value).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
    }
    await tasks.stop();
  });

  it('encodes a title that is not ASCII as an RFC 2047 word ntfy decodes', async () => {
    const { notifications, http } = setUp();
    await notifications.destinations.add({ kind: 'ntfy', url: 'https://ntfy.example/t' });
    await notifications.publish({
      event: 'download.completed',
      title: 'Downloaded ä.gguf\nsecond line',
      message: 'ok',
      subject: {},
      dedupeKey: 'k',
    });
    await notifications.deliverDue();
    const title = http.requests[0]!.headers.title!;
    expect(title).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    expect(Buffer.from(title.slice(10, -2), 'base64').toString('utf8')).toBe(
      'Downloaded ä.gguf second line',
    );
  });

  it('retries with backoff on the injected clock, gives up after N attempts and shows it on the destination', async () => {
    const { notifications, http, clock, tasks, logger } = setUp({ maxAttempts: 3 });
    const hook = await notifications.destinations.add({
      kind: 'webhook',
      url: 'https://hooks.example/h?token=tok-123456789',
    });
    await notifications.start();
    tasks.start();
    http.answers.push(
      503,
      new ModeldockError('CONNECTION_REFUSED', 'Connection refused (https://hooks.example/h?…)'),
      500,
    );
    await notifications.publish({
      event: 'download.failed',
      title: 't',
      message: 'm',
      subject: {},
      dedupeKey: 'k',
    });
    await settle();
    expect(http.requests).toHaveLength(1);
    let [view] = await notifications.destinations.list();
    expect(view).toMatchObject({
      pendingDeliveries: 1,
      lastError: 'https://hooks.example/h?… answered HTTP 503',
    });
    // First retry 30 s later, not before.
    await clock.advance(29_000);
    expect(http.requests).toHaveLength(1);
    await clock.advance(6_000);
    expect(http.requests).toHaveLength(2);
    // Second retry 60 s after the second attempt (made at 30 s), so at 90 s.
    await clock.advance(54_000);
    expect(http.requests).toHaveLength(2);
    await clock.advance(10_000);
    expect(http.requests).toHaveLength(3);
    await clock.advance(600_000);
    expect(http.requests).toHaveLength(3);
    [view] = await notifications.destinations.list();
    expect(view).toMatchObject({
      id: hook.id,
      pendingDeliveries: 0,
      failedDeliveries: 1,
      lastError: 'https://hooks.example/h?… answered HTTP 500',
      lastSuccessAt: null,
    });
    expect(logger.find('notification delivery given up')?.fields).toMatchObject({
      attempt: 3,
      retryAt: null,
    });
    expect(logger.text()).not.toContain('tok-123456789');
    await tasks.stop();
  });

  it('sends a test at once and records success or the failure on the destination', async () => {
    const { notifications, http } = setUp();
    const hook = await notifications.destinations.add({
      kind: 'webhook',
      url: 'https://hooks.example/h',
    });
    const ok = await notifications.destinations.test(hook.id);
    expect(ok).toMatchObject({
      ok: true,
      status: 200,
      error: null,
      destination: { lastSuccessAt: new Date(T0).toISOString() },
    });
    expect(JSON.parse(http.requests[0]!.body!)).toMatchObject({
      test: true,
      event: 'download.completed',
      title: 'modeldock test notification',
    });
    http.answers.push(new ModeldockError('DNS_FAILED', 'hooks.example could not be resolved'));
    const failed = await notifications.destinations.test(hook.id);
    expect(failed).toMatchObject({
      ok: false,
      status: null,
      error: 'hooks.example could not be resolved (https://hooks.example/h)',
      destination: { lastError: 'hooks.example could not be resolved (https://hooks.example/h)' },
    });
    http.answers.push(302);
    expect((await notifications.destinations.test(hook.id)).error).toMatch(
      /redirects are not followed/,
    );
    // Nothing went through the outbox.
    expect(await notifications.deliverDue()).toBe(0);
  });
});
