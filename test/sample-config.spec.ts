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
