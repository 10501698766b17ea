import { randomInt } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import { errorMessage } from '../session.errors.js';
import type { PostgresResult } from './postgres-pool.js';
import type { PostgresStatement } from './postgres-sql.js';

/** @internal Rows deleted per statement: each statement is short, and holds few row locks. */
export const SWEEP_BATCH = 1000;

/** @internal What one sweep did. */
export interface SweepReport {
  deleted: number;
  statements: number;
  /** Whether it stopped because another instance was sweeping (held the advisory lock). */
  yielded: boolean;
}

/**
 * @internal Deletes expired records, tombstones and index entries, at an interval drawn at random
 * within ±50% of `intervalMs` (instances started together spread out). Each statement deletes at
 * most SWEEP_BATCH rows, oldest deadline first, and only while it holds a transaction-level
 * advisory lock: two instances never delete at once, and when one finds the lock taken it leaves
 * the rest of the run to the instance that holds it. Rows are never served past their deadline
 * whether or not they were swept yet: the sweeper only keeps the tables small.
 */
export class PostgresSweeper {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly run: (
      statement: PostgresStatement,
      values: unknown[],
    ) => Promise<PostgresResult>,
    private readonly statements: readonly PostgresStatement[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One run over every table, until a batch comes back short. */
  async sweep(): Promise<SweepReport> {
    const report: SweepReport = { deleted: 0, statements: 0, yielded: false };
    for (const statement of this.statements) {
      for (;;) {
        if (this.stopped) return report;
        const result = await this.run(statement, [SWEEP_BATCH]);
        report.statements++;
        const { held, deleted } = result.rows[0] as { held: boolean; deleted: number };
        if (!held) {
          report.yielded = true;
          return report;
        }
        report.deleted += deleted;
        if (deleted < SWEEP_BATCH) break;
        // Lets the app's own statements through between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return report;
  }

  private schedule(): void {
    if (this.stopped) return;
    // Within ±50% of the interval, so instances started together spread out.
    const half = Math.floor(this.intervalMs / 2);
    const delay = half + randomInt(0, 2 * half + 1);
    this.timer = setTimeout(() => {
      this.sweep()
        .catch((err: unknown) =>
          this.logger.warn(`Session store (PostgreSQL) sweep failed: ${errorMessage(err)}`),
        )
        .finally(() => this.schedule());
    }, delay).unref();
  }
}
