/** Failure case 27 at the unit level: which Origin / Host combinations may change things. */
import { describe, expect, it } from 'vitest';
import { createOriginGuard, isLoopbackAddress } from '../../apps/server/src/http/origin-guard';

describe('origin guard', () => {
  const loopback = createOriginGuard({
    listenHost: '127.0.0.1',
    allowedOrigins: ['http://localhost:5173'],
  });
  const lan = createOriginGuard({ listenHost: '0.0.0.0', allowedOrigins: [] });

  it('allows the server’s own pages and clients that send no Origin (curl, scripts)', () => {
    expect(
      loopback.checkOrigin({ host: '127.0.0.1:8787', origin: 'http://127.0.0.1:8787' }).allowed,
    ).toBe(true);
    expect(
      loopback.checkOrigin({ host: 'localhost:8787', origin: 'http://localhost:8787' }).allowed,
    ).toBe(true);
    expect(loopback.checkOrigin({ host: '127.0.0.1:8787' }).allowed).toBe(true);
    expect(lan.checkOrigin({ host: 'nas.lan:8787', origin: 'http://nas.lan:8787' }).allowed).toBe(
      true,
    );
  });

  it('refuses another site, the "null" origin and a different port, with a reason that says what to do', () => {
    const foreign = loopback.checkOrigin({
      host: '127.0.0.1:8787',
      origin: 'https://evil.example',
    });
    expect(foreign).toMatchObject({ allowed: false });
    expect(!foreign.allowed && foreign.reason).toMatch(/MODELDOCK_ALLOWED_ORIGINS/);
    expect(loopback.checkOrigin({ host: '127.0.0.1:8787', origin: 'null' }).allowed).toBe(false);
    expect(
      loopback.checkOrigin({ host: '127.0.0.1:8787', origin: 'http://127.0.0.1:9999' }).allowed,
    ).toBe(false);
    expect(lan.checkOrigin({ host: 'nas.lan:8787', origin: 'http://attacker.lan' }).allowed).toBe(
      false,
    );
  });

  it('allows origins the operator listed', () => {
    expect(
      loopback.checkOrigin({ host: '127.0.0.1:8787', origin: 'http://localhost:5173' }).allowed,
    ).toBe(true);
  });

  it('on loopback, refuses a Host that is not loopback (DNS rebinding) even when Origin matches it', () => {
    const rebinding = loopback.checkOrigin({
      host: 'evil.example:8787',
      origin: 'http://evil.example:8787',
    });
    expect(rebinding.allowed).toBe(false);
    expect(loopback.checkHost({ host: 'evil.example:8787' }).allowed).toBe(false);
    expect(loopback.checkHost({}).allowed).toBe(false);
    expect(loopback.checkHost({ host: '[::1]:8787' }).allowed).toBe(true);
    expect(loopback.checkHost({ host: 'app.localhost:8787' }).allowed).toBe(true);
    expect(lan.checkHost({ host: 'anything:8787' }).allowed).toBe(true);
  });

  it('knows loopback listen addresses', () => {
    expect(['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3'].every(isLoopbackAddress)).toBe(
      true,
    );
    expect(['0.0.0.0', '192.168.1.2', '::'].some(isLoopbackAddress)).toBe(false);
  });
});
