import { describe, expect, it, vi } from 'vitest';
import { resolveSessionOptions } from '../../lib/options/resolve-session-options.js';
import { SessionOptionsError, type SessionModuleOptions } from '../../lib/index.js';

const STRONG = 'x7Gq2mV9pL4rT8wZ1cB6nH3kJ5dF0sAeYuIoPq';

function resolve(options: SessionModuleOptions, nodeEnv = 'development') {
  const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const resolved = resolveSessionOptions(options, logger, nodeEnv);
  return { resolved, warnings: logger.warn.mock.calls.map(([m]) => String(m)) };
}

function problemsOf(options: unknown, nodeEnv = 'development'): string {
  let thrown: unknown;
  try {
    resolve(options as SessionModuleOptions, nodeEnv);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(SessionOptionsError);
  return (thrown as SessionOptionsError).message;
}

describe('resolveSessionOptions', () => {
  it('fills in secure defaults', () => {
    const { resolved } = resolve({ secret: STRONG });
    expect(resolved.cookie).toEqual({ secure: true, httpOnly: true, sameSite: 'lax', path: '/' });
    expect(resolved.cookieNames).toEqual({ secure: '__Host-sid', plain: 'sid' });
    expect(resolved.idleTimeout).toBe(30 * 60 * 1000);
    expect(resolved.absoluteTimeout).toBe(8 * 60 * 60 * 1000);
    expect(resolved.redis).toBeUndefined();
    expect(resolved.secrets).toEqual([STRONG]);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'a bad sameSite',
      { cookie: { sameSite: 'bogus' } },
      /`cookie.sameSite` = 'bogus': must be 'lax' or 'strict'/,
    ],
    [
      'a negative idle timeout',
      { idleTimeout: -5 },
      /`idleTimeout` = -5: must be at least 1000 ms/,
    ],
    [
      'a fractional timeout',
      { absoluteTimeout: 1500.5 },
      /`absoluteTimeout` = 1500.5: must be a whole number/,
    ],
    [
      'a misspelt option',
      { secrte: 'x' },
      /`secrte` is not a SessionModule option: remove it or check its spelling/,
    ],
    [
      'a misspelt cookie option',
      { cookie: { htponly: true } },
      /`cookie.htponly` is not a SessionModule option/,
    ],
    [
      'a non-Redis URL',
      { redis: { url: 'http://localhost:6379' } },
      /`redis.url` = 'http:\/\/localhost:6379': must be a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [
      'both url and client',
      { redis: { url: 'redis://x', client: {} } },
      /`redis.url` and `redis.client` are both set/,
    ],
    [
      'a cookie name with a space',
      { name: 'my sid' },
      /`name` = 'my sid': must be a cookie name token/,
    ],
    ['an empty secret list', { secret: [] }, /`secret` = \(hidden\): must be a non-empty string/],
    [
      'a secret that is not a string',
      { secret: 42 },
      /`secret` = \(hidden\): must be a non-empty string/,
    ],
    [
      'an idle timeout longer than the absolute one',
      { idleTimeout: 7200000, absoluteTimeout: 3600000 },
      /`idleTimeout` = 7200000 is longer than `absoluteTimeout` = 3600000/,
    ],
    [
      'a path with a semicolon',
      { cookie: { path: '/a;b' } },
      /`cookie.path` = '\/a;b': must start with '\/'/,
    ],
    [
      'a string for secure',
      { cookie: { secure: 'yes' } },
      /`cookie.secure` = 'yes': must be true, false or 'auto'/,
    ],
    ['options that are not an object', 'secret', /options must be an object, got 'secret'/],
    [
      'a redis object with neither url nor client (an unset REDIS_URL)',
      { redis: { url: undefined } },
      /`redis` is set but has none of `url`, `cluster`, `sentinel` or `client`/,
    ],
    [
      'both a cluster and a Sentinel',
      { redis: { cluster: { rootNodes: ['h:1'] }, sentinel: { name: 'm', sentinels: ['h:2'] } } },
      /`redis.cluster` and `redis.sentinel` are both set: give one of them/,
    ],
    [
      'a cluster given as a URL string with a password, without echoing the password',
      { redis: { cluster: 'redis://default:hunter2@10.0.0.1:7000' } },
      /`redis.cluster` = 'redis:\/\/\*\*\*@10.0.0.1:7000': must be an object: \{ rootNodes \}/,
    ],
    [
      'cluster seeds that mix TLS and plain connections',
      { redis: { cluster: { rootNodes: ['rediss://a:7000', 'redis://b:7000'] } } },
      /`redis.cluster.rootNodes` mixes redis:\/\/ and rediss:\/\/: use one for every node/,
    ],
    [
      'Sentinels over TLS, which would leave the primary unencrypted',
      { redis: { sentinel: { name: 'm', sentinels: ['rediss://s:26379'] } } },
      /`redis.sentinel.sentinels` uses rediss:\/\/, .*pass your own createSentinel\(\) client/,
    ],
    [
      'a key prefix with braces, which would break the per-session hash tags',
      { redis: { url: 'redis://r:6379', prefix: '{app}:' } },
      /`redis.prefix` = '\{app\}:': must be 1-64 characters of letters, digits and _:.- \(no braces\)/,
    ],
    [
      'a cluster without nodes',
      { redis: { cluster: { rootNodes: [] } } },
      /`redis.cluster.rootNodes` = \[0 item\(s\)\]: must list at least one node/,
    ],
    [
      'a cluster node without a port',
      { redis: { cluster: { rootNodes: ['10.0.0.1:7000', 'redis-1'] } } },
      /`redis.cluster.rootNodes` = \[2 item\(s\)\]: must list host:port or redis:\/\/host:port addresses/,
    ],
    [
      'a cluster given as a list (not { rootNodes })',
      { redis: { cluster: ['10.0.0.1:7000'] } },
      /`redis.cluster` = \[1 item\(s\)\]: must be an object: \{ rootNodes \}/,
    ],
    [
      'a Sentinel setup without the monitored name',
      { redis: { sentinel: { sentinels: ['10.0.0.1:26379'] } } },
      /`redis.sentinel.name` = undefined: must be the name the Sentinels monitor the primary under/,
    ],
    [
      'a Sentinel password that is not a string, without echoing it',
      { redis: { sentinel: { name: 'm', sentinels: ['h:1'], password: 12345678 } } },
      /`redis.sentinel.password` = \(hidden\): must be a string/,
    ],
    [
      'an idle timeout over 400 days',
      { idleTimeout: 401 * 24 * 60 * 60 * 1000, absoluteTimeout: 401 * 24 * 60 * 60 * 1000 },
      /`idleTimeout` = 34646400000: must be at most 34560000000 ms \(400 days, .*\): shorten it/,
    ],
    [
      'an absolute timeout over 400 days',
      { absoluteTimeout: 401 * 24 * 60 * 60 * 1000 },
      /`absoluteTimeout` = 34646400000: must be at most 34560000000 ms \(400 days, .*\): shorten it/,
    ],
    [
      'a renewal fraction of 1, which would never renew',
      { renewalFraction: 1 },
      /`renewalFraction` = 1: must be at most 0.5/,
    ],
  ])(
    'refuses %s with a message naming the option, the value and the fix',
    (_, options, message) => {
      expect(problemsOf(options)).toMatch(message);
    },
  );

  it('keeps the secure default for an option given as undefined or null (unset configuration)', () => {
    const { resolved } = resolve({
      cookie: { sameSite: undefined, secure: undefined, httpOnly: null as unknown as boolean },
      redis: { url: 'redis://localhost', commandTimeout: undefined, prefix: undefined },
    });
    expect(resolved.cookie).toEqual({ secure: true, httpOnly: true, sameSite: 'lax', path: '/' });
    expect(resolved.redis).toMatchObject({
      commandTimeout: 2000,
      prefix: 'session:',
      connectTimeout: 2000,
    });
  });

  it('accepts idle and absolute timeouts of up to 400 days', () => {
    const limit = 400 * 24 * 60 * 60 * 1000;
    const { resolved } = resolve({ secret: STRONG, idleTimeout: limit, absoluteTimeout: limit });
    expect([resolved.idleTimeout, resolved.absoluteTimeout]).toEqual([limit, limit]);
  });

  it('gives each app its own copy of the defaults', () => {
    const first = resolve({ secret: STRONG }).resolved;
    first.forRoutes.push('admin');
    first.cookie.sameSite = 'none';
    const second = resolve({ secret: STRONG }).resolved;
    expect(second.forRoutes).toEqual(['{*path}']);
    expect(second.cookie.sameSite).toBe('lax');
    expect(second.migration).toEqual({ acceptPlaintextRecords: false });
  });

  it('lists every problem at once', () => {
    const message = problemsOf({ idleTimeout: 'soon', cookie: { sameSite: 'none!' }, extra: 1 });
    for (const option of ['`idleTimeout`', '`cookie.sameSite`', '`extra`'])
      expect(message).toContain(option);
  });

  it('never repeats the secret or a Redis password in an error', () => {
    const message = problemsOf(
      { secret: ['hunter2-is-my-password'], redis: { url: 'http://user:pa55word@host' } },
      'production',
    );
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('pa55word');
  });

  describe('in production', () => {
    it.each<[string, SessionModuleOptions, RegExp]>([
      ['a missing secret', {}, /`secret` is missing: give at least 32 random bytes/],
      [
        'a short secret',
        { secret: 'too-short-but-random-7Gq2' },
        /`secret` is 25 bytes, under the 32 required/,
      ],
      [
        'a well-known secret',
        { secret: 'keyboard cat' },
        /`secret` is a well-known example secret/,
      ],
      [
        'a weak secret among rotated ones',
        { secret: [STRONG, 'secret'] },
        /`secret\[1\]` is a well-known example secret/,
      ],
      [
        'a repeated-character secret',
        { secret: 'a'.repeat(64) },
        /`secret` repeats one or two characters/,
      ],
      [
        'a cookie that is not Secure',
        { secret: STRONG, cookie: { secure: false } },
        /`cookie.secure` = false: the session cookie must be Secure/,
      ],
      [
        "secure: 'auto'",
        { secret: STRONG, cookie: { secure: 'auto' } },
        /`cookie.secure` = 'auto'/,
      ],
      [
        'a script-readable cookie',
        { secret: STRONG, cookie: { httpOnly: false } },
        /`cookie.httpOnly` = false/,
      ],
      [
        'SameSite=None',
        { secret: STRONG, cookie: { sameSite: 'none' } },
        /`cookie.sameSite` = 'none'/,
      ],
    ])('refuses %s and says how to opt out', (_, options, message) => {
      const text = problemsOf(options, 'production');
      expect(text).toMatch(message);
      expect(text).toContain('dangerouslyAllowInsecureProductionConfig: true');
    });

    it('accepts insecure choices only with the explicit opt-out, and warns about each', () => {
      const { resolved, warnings } = resolve(
        {
          secret: 'keyboard cat',
          cookie: { secure: false },
          dangerouslyAllowInsecureProductionConfig: true,
        },
        'production',
      );
      expect(resolved.cookie.secure).toBe(false);
      expect(warnings.filter((w) => w.startsWith('INSECURE'))).toHaveLength(2);
    });

    it('accepts a strong configuration without warnings', () => {
      expect(resolve({ secret: [STRONG, `${STRONG}-old`] }, 'production').warnings).toEqual([]);
    });
  });

  it('makes a random secret in development, with a warning', () => {
    const first = resolve({});
    const second = resolve({});
    expect(first.resolved.secrets[0]).toHaveLength(43);
    expect(first.resolved.secrets[0]).not.toEqual(second.resolved.secrets[0]);
    expect(first.warnings.join()).toMatch(/No session `secret` given/);
  });

  describe('cookie name', () => {
    it('uses the __Host- prefix only where the browser allows it', () => {
      expect(resolve({ cookie: { path: '/api' } }).resolved.cookieNames).toEqual({
        secure: 'sid',
        plain: 'sid',
      });
      expect(resolve({ cookie: { domain: 'example.com' } }).resolved.cookieNames.secure).toBe(
        'sid',
      );
      expect(resolve({ cookie: { secure: false } }).resolved.cookieNames.secure).toBe('sid');
      expect(resolve({ name: 'app', cookie: { secure: 'auto' } }).resolved.cookieNames).toEqual({
        secure: '__Host-app',
        plain: 'app',
      });
    });

    it('refuses a __Host- name the browser would drop', () => {
      expect(problemsOf({ name: '__Host-id', cookie: { path: '/api' } })).toMatch(
        /needs `cookie.path: '\/'`/,
      );
      expect(problemsOf({ name: '__Secure-id', cookie: { secure: 'auto' } })).toMatch(
        /needs `cookie.secure: true`/,
      );
    });
  });
});
