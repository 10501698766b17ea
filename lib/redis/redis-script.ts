import { createHash } from 'node:crypto';
import type { RedisConnection } from './redis-connection.js';

/**
 * @internal A Lua script run with EVALSHA, falling back to EVAL once when Redis does not have it
 * cached (after a restart or failover). Every key a script touches is passed in `keys` and shares
 * one hash tag, so scripts stay on one Redis Cluster slot.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    connection: RedisConnection,
    keys: string[],
    args: (string | number | Buffer)[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    const rest = [
      String(keys.length),
      ...keys,
      ...args.map((a) => (Buffer.isBuffer(a) ? a : String(a))),
    ];
    try {
      return await connection.send(keys[0]!, ['EVALSHA', this.sha, ...rest], signal);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return connection.send(keys[0]!, ['EVAL', this.source, ...rest], signal);
    }
  }
}
