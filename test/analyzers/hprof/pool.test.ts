import { describe, expect, it } from 'vitest';
import { computeDominators } from '../../../src/analyzers/hprof/dominators.js';
import { BufferPool } from '../../../src/analyzers/hprof/pool.js';

describe('BufferPool', () => {
  it('hands freed memory out again, zeroed unless asked not to', () => {
    const pool = new BufferPool();
    const a = pool.u32(1 << 16);
    a.fill(7);
    pool.give(a);
    const b = pool.i32(1 << 16);
    expect(b.buffer).toBe(a.buffer);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(pool.freshBytes).toBe(4 << 16);
    expect(pool.reusedBytes).toBe(4 << 16);
  });

  it('merges adjacent free ranges so a bigger array fits where two smaller ones were', () => {
    const pool = new BufferPool();
    const block = pool.f64(1 << 16);
    const lo = new Uint32Array(block.buffer, block.byteOffset, 1 << 16);
    const hi = new Uint32Array(block.buffer, block.byteOffset + (4 << 16), 1 << 16);
    pool.give(hi);
    pool.give(lo);
    const big = pool.f64(1 << 16);
    expect(big.buffer).toBe(block.buffer);
    expect(pool.freshBytes).toBe(8 << 16);
  });

  it('keeps ranges 8-byte aligned when a tail view starting mid-word is given back', () => {
    const pool = new BufferPool();
    const a = pool.u32(100_001);
    pool.give(a.subarray(50_001));
    const f = pool.f64(10_000);
    expect(f.byteOffset % 8).toBe(0);
    expect(f.buffer).toBe(a.buffer);
    f.fill(1);
    expect(a[50_000]).toBe(0); // the live head is untouched
  });

  it('carves fresh arrays from one arena, so neighbours freed apart merge and the top range grows in place', () => {
    const pool = new BufferPool({ arenaBytes: 1 << 26 });
    const a = pool.u32(1 << 16);
    const b = pool.u32(1 << 16);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + (4 << 16));
    a.fill(5);
    b.fill(6);
    pool.give(a);
    pool.give(b);
    // Two freed neighbours make one range: an array twice their size fits without fresh memory.
    const c = pool.u32(2 << 16);
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(pool.freshBytes).toBe(8 << 16);
    expect(c.every((x) => x === 0)).toBe(true);
    // A freed range at the top grows into untouched memory: only the difference is fresh, and all of it reads 0.
    c.fill(9);
    pool.give(c);
    const d = pool.u32(3 << 16);
    expect(d.byteOffset).toBe(a.byteOffset);
    expect(pool.freshBytes).toBe(12 << 16);
    expect(d.every((x) => x === 0)).toBe(true);
    // Asked not to zero, the old part keeps its bytes (the caller overwrites them).
    d.fill(3);
    pool.give(d);
    expect(pool.u32(3 << 16, false)[0]).toBe(3);
  });

  it('falls back to one buffer per array when the arena is too small', () => {
    const pool = new BufferPool({ arenaBytes: 1 << 26 });
    const big = pool.u8((1 << 26) + 8);
    const small = pool.u8(64);
    expect(big.buffer).not.toBe(small.buffer);
    expect(big.buffer.byteLength).toBe((1 << 26) + 8);
  });

  it('ignores arrays it did not hand out', () => {
    const pool = new BufferPool();
    pool.give(new Uint32Array(1 << 16), new Uint32Array(new SharedArrayBuffer(1 << 18)));
    pool.u32(1 << 16);
    expect(pool.reusedBytes).toBe(0);
  });

  it('gives the same dominators whether the pool starts empty or full of dirty memory', () => {
    const n = 2000;
    const adj: number[][] = Array.from({ length: n }, (_, v) => (v + 1 < n ? [v + 1, (v * 7) % n] : [0]));
    const mk = () => {
      const starts = new Uint32Array(n + 1);
      for (let v = 0; v < n; v++) starts[v + 1] = starts[v] + adj[v].length;
      return { n, starts, edges: Uint32Array.from(adj.flat()), classNode: Int32Array.of(-1), cls: new Int32Array(n), roots: Uint32Array.of(0), weak: new Int32Array((n >>> 5) + 1) };
    };
    const clean = computeDominators(mk()).idom;
    const pool = new BufferPool();
    const junk = [pool.f64(4 * n), pool.u32(8 * n), pool.i32(3 * n)];
    for (const j of junk) j.fill(0xdead);
    pool.give(...junk);
    expect(Array.from(computeDominators(mk(), pool).idom)).toEqual(Array.from(clean));
  });
});
