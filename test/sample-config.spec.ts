import { describe, expect, it } from 'vitest';
import { sessionOptionsFrom } from '../sample/app.module.js';
import { loadSampleConfig } from '../sample/config/sample-config.js';

describe("the sample's Redis environment variables", () => {
  const redisOf = (env: Record<string, string>) => sessionOptionsFrom(loadSampleConfig(env)).redis;

  it('reads REDIS_URL, REDIS_CLUSTER_NODES, and REDIS_SENTINELS with REDIS_SENTINEL_NAME', () => {
    expect(redisOf({})).toBeUndefined();
    expect(redisOf({ REDIS_URL: 'redis://r:6379' })).toMatchObject({ url: 'redis://r:6379' });
    expect(redisOf({ REDIS_CLUSTER_NODES: 'a:7000, b:7001' })).toMatchObject({
      cluster: { rootNodes: ['a:7000', 'b:7001'] },
    });
    expect(
      redisOf({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'sessions' }),
    ).toMatchObject({ sentinel: { name: 'sessions', sentinels: ['s1:26379', 's2:26379'] } });
    expect(redisOf({ REDIS_SENTINELS: 's1:26379' })).toMatchObject({
      sentinel: { name: 'mymaster' },
    });
    expect(
      redisOf({ REDIS_URL: 'redis://r:6379', SESSION_REVOCATION_REPLICAS: '1' }),
    ).toMatchObject({ revocationReplicas: 1 });
  });

  it('refuses to start with two Redis setups named at once', () => {
    expect(() =>
      loadSampleConfig({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'a:7000' }),
    ).toThrow('Set only one of REDIS_URL, REDIS_CLUSTER_NODES');
  });
});

describe("the sample's platform", () => {
  it('runs on Express unless SAMPLE_PLATFORM names Fastify', () => {
    expect(loadSampleConfig({}).platform).toBe('express');
    expect(loadSampleConfig({ SAMPLE_PLATFORM: '' }).platform).toBe('express');
    expect(loadSampleConfig({ SAMPLE_PLATFORM: 'express' }).platform).toBe('express');
    expect(loadSampleConfig({ SAMPLE_PLATFORM: 'fastify' }).platform).toBe('fastify');
  });

  it('refuses to start on a platform it does not know, naming the ones it does', () => {
    for (const name of ['koa', 'Fastify', ' fastify', 'express,fastify']) {
      expect(() => loadSampleConfig({ SAMPLE_PLATFORM: name }), name).toThrow(
        `SAMPLE_PLATFORM must be 'express' or 'fastify', got '${name}'`,
      );
    }
  });

  it('takes TRUST_PROXY as Express does on both platforms, but no hop count on Fastify', () => {
    for (const SAMPLE_PLATFORM of ['express', 'fastify']) {
      const trust = (TRUST_PROXY: string) =>
        loadSampleConfig({ SAMPLE_PLATFORM, TRUST_PROXY }).trustProxy;
      expect(trust('loopback')).toBe('loopback');
      expect(trust('10.0.0.1, 10.0.0.2')).toBe('10.0.0.1, 10.0.0.2');
      expect(trust('true')).toBe(true);
      expect(trust('')).toBeUndefined();
    }
    expect(loadSampleConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    // Fastify would trust no proxy at all for a count: no Secure cookie behind the TLS proxy.
    expect(() => loadSampleConfig({ SAMPLE_PLATFORM: 'fastify', TRUST_PROXY: '1' })).toThrow(
      "TRUST_PROXY on Fastify names the proxies' addresses",
    );
  });
});
