/** The access gate at the unit level: which credentials open the API, and what the cookie holds. */
import { describe, expect, it } from 'vitest';
import {
  createAccessGate,
  sessionCookieOf,
  unprotectedListenWarning,
} from '../../apps/server/src/http/access-gate';

const TOKEN = 'unitFAKEtoken0modeldock0tests';

describe('access gate', () => {
  const gate = createAccessGate({ token: TOKEN });
  const session = gate.sessionValue!;

  it('is open, as before, when no token is configured', () => {
    const open = createAccessGate({ token: null });
    expect(open.required).toBe(false);
    expect(open.check({})).toBe('open');
    expect(open.isToken(TOKEN)).toBe(false);
  });

  it('takes the right bearer token or session cookie, and tells missing from wrong', () => {
    expect(gate.check({})).toBe('missing');
    expect(gate.check({ authorization: `Bearer ${TOKEN}` })).toBe('authenticated');
    expect(gate.check({ authorization: `bearer   ${TOKEN} ` })).toBe('authenticated');
    expect(gate.check({ authorization: `Bearer ${TOKEN.slice(0, -1)}` })).toBe('wrong');
    expect(gate.check({ authorization: `Basic ${TOKEN}` })).toBe('missing');
    expect(gate.check({ cookie: `theme=dark; modeldock_session=${session}` })).toBe(
      'authenticated',
    );
    // The cookie is not the token, and the token is not a cookie.
    expect(gate.check({ cookie: `modeldock_session=${TOKEN}` })).toBe('wrong');
    expect(gate.check({ authorization: `Bearer ${session}` })).toBe('wrong');
  });

  it('makes a cookie value that is neither the token nor contains it, the same on every start', () => {
    expect(session).not.toContain(TOKEN);
    expect(session).toBe(createAccessGate({ token: TOKEN }).sessionValue);
    expect(createAccessGate({ token: `${TOKEN}2` }).sessionValue).not.toBe(session);
    expect(gate.sessionCookie()).toMatch(/HttpOnly; SameSite=Strict/);
    expect(sessionCookieOf({ cookie: 'a=1;  modeldock_session=xyz ; b=2' })).toBe('xyz');
  });

  it('warns about a server others can reach without a token, and only then', () => {
    expect(unprotectedListenWarning('0.0.0.0', 8787, null)).toMatch(
      /anyone who can reach port 8787 can use it.*MODELDOCK_ACCESS_TOKEN/,
    );
    expect(unprotectedListenWarning('192.168.1.20', 8787, null)).toMatch(
      /anyone who can reach port 8787/,
    );
    expect(unprotectedListenWarning('0.0.0.0', 8787, TOKEN)).toBeNull();
    expect(unprotectedListenWarning('127.0.0.1', 8787, null)).toBeNull();
    expect(unprotectedListenWarning('localhost', 8787, null)).toBeNull();
  });
});
