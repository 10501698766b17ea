import { createInterface } from 'node:readline';
import { stripVTControlCharacters } from 'node:util';
import type { RunningApp } from './harness.js';

/**
 * The errors a benchmark app logs (Nest's `ERROR` lines on its piped stderr), counted by message
 * so that a failure mode shows as a figure, not as thousands of lines; other lines pass through.
 */
export class ErrorLog {
  private readonly counts = new Map<string, number>();

  constructor(app: RunningApp) {
    createInterface({ input: app.process.stderr! }).on('line', (raw) => {
      const message = /\bERROR\s+(?:\[\w+\]\s+)?(.*)$/.exec(stripVTControlCharacters(raw))?.[1];
      if (message === undefined) process.stderr.write(`${raw}\n`);
      else this.counts.set(message, (this.counts.get(message) ?? 0) + 1);
    });
  }

  /** The errors since the last call (the two most frequent messages), and counts anew. */
  take(): string {
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    const top = [...this.counts]
      .sort(([, a], [, b]) => b - a)
      .slice(0, 2)
      .map(([message, n]) => `"${message}" ×${n}`);
    this.counts.clear();
    return total === 0 ? '0' : `${total}: ${top.join(', ')}`;
  }
}
