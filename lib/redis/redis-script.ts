import { createHash } from 'node:crypto';
import type { RedisCommands } from './redis-connection.js';

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
    client: RedisCommands,
    keys: string[],
    args: (string | number | Buffer)[],
  ): Promise<unknown> {
    const options = {
      keys,
      arguments: args.map((arg) => (Buffer.isBuffer(arg) ? arg : String(arg))),
    };
    try {
      return await client.evalSha(this.sha, options);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, options);
    }
  }
}
