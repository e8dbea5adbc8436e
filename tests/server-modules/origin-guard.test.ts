/** Failure case 27 and issue 9 item 2 at the unit level: which Host / Origin / site combinations may use the API. */
import { describe, expect, it } from 'vitest';
import { createOriginGuard, isLoopbackAddress } from '../../apps/server/src/http/origin-guard';
import { hostnameOf, isIpLiteral, machineHostNames } from '../../apps/server/src/http/host-names';

describe('origin guard', () => {
  const loopback = createOriginGuard({
    listenHost: '127.0.0.1',
    allowedOrigins: ['http://localhost:5173'],
  });
  const lan = createOriginGuard({
    listenHost: '0.0.0.0',
    allowedOrigins: [],
    allowedHosts: ['nas.lan'],
    machineHostname: 'gpu-box.example.org',
  });
  const lanWithToken = createOriginGuard({
    listenHost: '0.0.0.0',
    allowedOrigins: [],
    accessTokenRequired: true,
  });

  it('allows the server’s own pages and clients that send no Origin (curl, scripts)', () => {
    expect(
      loopback.checkRequest({ host: '127.0.0.1:8787', origin: 'http://127.0.0.1:8787' }).allowed,
    ).toBe(true);
    expect(
      loopback.checkRequest({ host: 'localhost:8787', origin: 'http://localhost:8787' }).allowed,
    ).toBe(true);
    expect(loopback.checkRequest({ host: '127.0.0.1:8787' }).allowed).toBe(true);
    expect(
      loopback.checkRequest({ host: '127.0.0.1:8787', 'sec-fetch-site': 'same-origin' }).allowed,
    ).toBe(true);
    expect(
      loopback.checkRequest({ host: '127.0.0.1:8787', 'sec-fetch-site': 'none' }).allowed,
    ).toBe(true);
    expect(lan.checkRequest({ host: 'nas.lan:8787', origin: 'http://nas.lan:8787' }).allowed).toBe(
      true,
    );
  });

  it('refuses another site, the "null" origin and a different port, with a reason that says what to do', () => {
    const foreign = loopback.checkRequest({
      host: '127.0.0.1:8787',
      origin: 'https://evil.example',
    });
    expect(foreign).toMatchObject({ allowed: false });
    expect(!foreign.allowed && foreign.reason).toMatch(/MODELDOCK_ALLOWED_ORIGINS/);
    expect(loopback.checkRequest({ host: '127.0.0.1:8787', origin: 'null' }).allowed).toBe(false);
    expect(
      loopback.checkRequest({ host: '127.0.0.1:8787', origin: 'http://127.0.0.1:9999' }).allowed,
    ).toBe(false);
    expect(lan.checkRequest({ host: 'nas.lan:8787', origin: 'http://attacker.lan' }).allowed).toBe(
      false,
    );
  });

  it('refuses what a browser marks as sent by another page even without an Origin (an <img>, a link)', () => {
    for (const site of ['cross-site', 'same-site', 'CROSS-SITE']) {
      expect(
        loopback.checkRequest({ host: '127.0.0.1:8787', 'sec-fetch-site': site }).allowed,
      ).toBe(false);
      expect(
        lanWithToken.checkRequest({ host: 'anything:8787', 'sec-fetch-site': site }).allowed,
      ).toBe(false);
    }
  });

  it('allows origins the operator listed', () => {
    expect(
      loopback.checkRequest({
        host: '127.0.0.1:8787',
        origin: 'http://localhost:5173',
        'sec-fetch-site': 'cross-site',
      }).allowed,
    ).toBe(true);
  });

  it('on loopback, refuses a Host that is not loopback (DNS rebinding) even when Origin matches it', () => {
    const rebinding = loopback.checkRequest({
      host: 'evil.example:8787',
      origin: 'http://evil.example:8787',
    });
    expect(rebinding.allowed).toBe(false);
    expect(loopback.checkHost({ host: 'evil.example:8787' }).allowed).toBe(false);
    expect(loopback.checkHost({ host: '192.168.1.2:8787' }).allowed).toBe(false);
    expect(loopback.checkHost({}).allowed).toBe(false);
    expect(loopback.checkHost({ host: '[::1]:8787' }).allowed).toBe(true);
    expect(loopback.checkHost({ host: '[0:0:0:0:0:0:0:1]:8787' }).allowed).toBe(true);
    expect(loopback.checkHost({ host: 'app.localhost:8787' }).allowed).toBe(true);
    expect(loopback.checkHost({ host: 'localhost@evil.example' }).allowed).toBe(false);
  });

  it('on the LAN without a token, answers only to IP literals, its own names and MODELDOCK_ALLOWED_HOSTS', () => {
    for (const host of [
      '192.168.1.20:8787',
      '[fe80::1]:8787',
      '127.0.0.1:8787',
      'gpu-box.example.org:8787',
      'gpu-box:8787',
      'GPU-BOX.local:8787',
      'nas.lan:8787',
    ]) {
      expect(lan.checkHost({ host }).allowed, host).toBe(true);
    }
    const rebound = lan.checkRequest({
      host: 'rebind.attacker.example:8787',
      origin: 'http://rebind.attacker.example:8787',
    });
    expect(rebound.allowed).toBe(false);
    expect(!rebound.allowed && rebound.reason).toMatch(/MODELDOCK_ALLOWED_HOSTS/);
    expect(lan.checkHost({ host: 'nas.lan.attacker.example:8787' }).allowed).toBe(false);
  });

  it('with a token on the LAN, any Host may ask (the token is what a rebinding page lacks)', () => {
    expect(lanWithToken.checkHost({ host: 'anything:8787' }).allowed).toBe(true);
  });

  it('knows loopback listen addresses as addresses, not as text', () => {
    expect(
      [
        '127.0.0.1',
        'localhost',
        '::1',
        '[::1]',
        '0:0:0:0:0:0:0:1',
        '0000::0001',
        '::ffff:127.0.0.1',
        '127.1.2.3',
      ].every(isLoopbackAddress),
    ).toBe(true);
    expect(
      ['0.0.0.0', '192.168.1.2', '::', '::2', 'localhost.example'].some(isLoopbackAddress),
    ).toBe(false);
  });

  it('reads Host headers and names strictly', () => {
    expect(hostnameOf('Example.LAN:80')).toBe('example.lan');
    expect(hostnameOf('localhost@evil.example')).toBeNull();
    expect(hostnameOf('a b')).toBeNull();
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('10.0.0.1')).toBe(true);
    expect(isIpLiteral('10.0.0.1.nip.io')).toBe(false);
    expect([...machineHostNames('Box.Example.org')]).toEqual([
      'box.example.org',
      'box',
      'box.local',
    ]);
  });
});
