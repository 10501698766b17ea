import { describe, expect, it } from 'vitest';
import { PostgresReadBatch } from '../../lib/postgres/postgres-read-batch.js';

const bytes = (text: string) => Buffer.from(text);

describe('PostgresReadBatch', () => {
  it('sends the reads started in one turn as one statement, each answered with its own row', async () => {
    const statements: string[][] = [];
    const batch = new PostgresReadBatch(async (handles) => {
      statements.push(handles);
      return new Map(handles.filter((h) => h !== 'gone').map((h) => [h, bytes(`record ${h}`)]));
    }, 100);
    const answers = await Promise.all(['a', 'b', 'a', 'gone'].map((h) => batch.read(h)));
    expect(statements).toEqual([['a', 'b', 'gone']]);
    expect(answers.map((record) => record?.toString() ?? null)).toEqual([
      'record a',
      'record b',
      'record a',
      null,
    ]);
  });

  it('sends a read alone when nothing else is waiting, and no batch larger than its limit', async () => {
    const sizes: number[] = [];
    const batch = new PostgresReadBatch(async (handles) => {
      sizes.push(handles.length);
      return new Map();
    }, 3);
    await batch.read('alone');
    await Promise.all(['1', '2', '3', '4', '5', '6', '7'].map((h) => batch.read(h)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });

  it('fails every read of a batch whose statement fails, and the next batch afresh', async () => {
    let fail = true;
    const batch = new PostgresReadBatch(async (handles) => {
      if (fail) throw new Error('connection reset');
      return new Map(handles.map((h) => [h, bytes(h)]));
    }, 100);
    const failed = await Promise.allSettled([batch.read('a'), batch.read('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect((await batch.read('a'))?.toString()).toBe('a');
  });
});
