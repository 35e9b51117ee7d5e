import { describe, expect, it } from 'vitest';
import { buildIdIndex, idAt, lookupId, radixOrder } from '../../../src/analyzers/hprof/id-index.js';
import { BufferPool } from '../../../src/analyzers/hprof/pool.js';
import { prng } from '../../support/prng.js';

/** Distinct ids: `base` plus strictly increasing multiples of `step` with random gaps. */
function ascending(n: number, base: number, step: number, rand: () => number): number[] {
  const out: number[] = [];
  let at = base;
  for (let i = 0; i < n; i++) {
    at += step * (1 + Math.floor(rand() * 5));
    out.push(at);
  }
  return out;
}

function shuffle<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Every property the analysis relies on, checked against a plain sort of the same ids. */
function checkIndex(ids: number[], absent: number[]): void {
  const built = buildIdIndex(Float64Array.from(ids), new BufferPool());
  const n = ids.length;
  const byValue = ids.map((id, ord) => ({ id, ord })).sort((a, b) => a.id - b.id);
  for (let r = 0; r < n; r++) {
    expect(built.ordOfRank[r]).toBe(byValue[r].ord);
    expect(built.rankOfOrd[byValue[r].ord]).toBe(r);
    expect(idAt(built.index, r)).toBe(byValue[r].id);
  }
  for (let o = 0; o < n; o++) expect(lookupId(built.index, ids[o])).toBe(built.rankOfOrd[o]);
  for (const id of absent) expect(lookupId(built.index, id)).toBe(-1);
}

describe('object id index', () => {
  const rand = prng(7);
  const base = 0x7_0000_0000; // above 2^32, like the ids of a 6 GB heap

  it('ranks ids already in address order (the heap part of a HotSpot dump)', () => {
    const ids = ascending(5000, base, 8, rand);
    checkIndex(ids, [base, base - 8, ids[0] + 4, ids[4999] + 8, ids[100] + 1]);
  });

  it('ranks ids sorted but for a few hundred at the front (class mirrors first, then the heap)', () => {
    const all = ascending(20_000, base, 16, rand);
    const mirrors = shuffle(all.filter((_, i) => i % 50 === 0), rand);
    const heap = all.filter((_, i) => i % 50 !== 0);
    checkIndex([...mirrors, ...heap], [base - 16, all[all.length - 1] + 16]);
  });

  it('ranks ids in no order at all (the radix sort)', () => {
    const ids = shuffle(ascending(30_000, base, 8, rand), rand);
    checkIndex(ids, [Math.min(...ids) - 8, Math.max(...ids) + 8]);
  });

  it('ranks 4-byte ids with a 4-byte granule, and ids spread wider than 32 bits of keys', () => {
    checkIndex(shuffle(ascending(3000, 0x1000, 4, rand), rand), [0x1000, 0x1000 + 2]);
    const wide = [...ascending(1000, 8, 8, rand), ...ascending(1000, 2 ** 40, 8, rand)];
    checkIndex(shuffle(wide, rand), [2 ** 40 - 8, 4]);
  });

  it('handles an empty dump', () => {
    const built = buildIdIndex(new Float64Array(0), new BufferPool());
    expect(built.ordOfRank).toHaveLength(0);
    expect(lookupId(built.index, 0x1000)).toBe(-1);
  });

  it('gives the stable sorting permutation of 32-bit keys', () => {
    const keys = Uint32Array.from({ length: 50_000 }, () => Math.floor(rand() * 2 ** 32) >>> (rand() < 0.5 ? 20 : 0));
    const order = radixOrder(keys, new BufferPool());
    const expected = Array.from(keys.keys()).sort((a, b) => keys[a] - keys[b] || a - b);
    expect(Array.from(order)).toEqual(expected);
  });
});
