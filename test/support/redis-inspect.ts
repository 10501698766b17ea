import { createClient } from 'redis';

/** A plain node-redis client for looking at what the module wrote. Close it after use. */
export async function inspectRedis(url: string) {
  const client = createClient({ url });
  await client.connect();
  return {
    client,
    /** Every key under a prefix, by SCAN (fine for a test's own prefix). */
    async keys(prefix: string): Promise<string[]> {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        keys.push(...batch);
      }
      return keys;
    },
    /** Total calls per command since the last CONFIG RESETSTAT. */
    async commandCalls(): Promise<Record<string, number>> {
      const info = await client.info('commandstats');
      const calls: Record<string, number> = {};
      for (const match of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
        calls[match[1]!] = Number(match[2]);
      }
      return calls;
    },
    recordKey: (prefix: string, handle: string) => `${prefix}s:{${handle}}`,
    close: () => client.close(),
  };
}
