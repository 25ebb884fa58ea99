import { describe, expect, it } from 'vitest';
import { createCoalescer, settle, unwrap } from './coalesce.js';

describe('createCoalescer', () => {
  it('runs the calls of one tick as one batch and answers each with its own result', async () => {
    const batches: number[][] = [];
    const c = createCoalescer<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((n) => n * 10);
    });
    expect(await Promise.all([1, 2, 3].map((n) => c.submit(n)))).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('never puts more than maxBatch items in one run', async () => {
    const sizes: number[] = [];
    const c = createCoalescer<number, number>(
      async (items) => {
        sizes.push(items.length);
        return [...items];
      },
      { maxBatch: 4 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, n) => c.submit(n)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('lets calls made while a batch runs wait for the next batch (group commit)', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const c = createCoalescer<number, number>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await gate;
      return [...items];
    });
    const first = c.submit(1);
    await new Promise((r) => setImmediate(r));
    const later = [c.submit(2), c.submit(3)];
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3]]);
    await c.drain();
  });

  it('rejects every caller of a failing batch and only those', async () => {
    const c = createCoalescer<number, number>(
      async (items) => {
        if (items.includes(2)) throw new Error('batch refused');
        return [...items];
      },
      { maxBatch: 2 },
    );
    const results = await Promise.all([1, 2, 3].map((n) => settle(c.submit(n))));
    expect(results.map((r) => r.ok)).toEqual([false, false, true]);
    expect(unwrap(results[2] ?? { ok: false, error: new Error('missing') })).toBe(3);
  });

  it('rejects the batch when the run answers with the wrong number of results', async () => {
    const c = createCoalescer<number, number>(async () => [1]);
    const results = await Promise.all([1, 2].map((n) => settle(c.submit(n))));
    expect(results.every((r) => !r.ok)).toBe(true);
  });
});
