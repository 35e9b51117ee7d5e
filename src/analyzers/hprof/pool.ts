/**
 * A free list of shared memory for the per-object columns. Touching fresh memory is the dominant cost of the
 * analysis on the VMs we run on (a first write to a page costs ~6 ms per MB, against ~0.05 ms per MB to refill a
 * page already mapped), and each pass needs arrays of n or n + 1 elements that the previous pass has just freed.
 * So a pass returns its dead arrays here and the next one carves its arrays out of them. Everything lives in
 * SharedArrayBuffers so any array can be handed to the edge-pass workers.
 */

interface Range {
  buf: SharedArrayBuffer;
  off: number;
  len: number;
}

type View = Uint8Array | Int32Array | Uint32Array | Float64Array;

export class BufferPool {
  private free: Range[] = [];
  private readonly mine = new WeakSet<SharedArrayBuffer>();
  /** Bytes handed out from fresh memory and from the free list, for the record. */
  freshBytes = 0;
  reusedBytes = 0;

  /** A range of at least `bytes`; `fresh` when it is newly allocated (then all zeros). */
  private take(bytes: number): { r: Range; fresh: boolean } {
    const need = Math.max(8, Math.ceil(bytes / 8) * 8);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      if (r.len >= need && (best < 0 || r.len < this.free[best].len)) best = i;
    }
    if (best < 0) {
      this.freshBytes += need;
      const buf = new SharedArrayBuffer(need);
      this.mine.add(buf);
      return { r: { buf, off: 0, len: need }, fresh: true };
    }
    const r = this.free[best];
    this.reusedBytes += need;
    if (r.len - need >= 4096) {
      this.free[best] = { buf: r.buf, off: r.off + need, len: r.len - need };
      return { r: { buf: r.buf, off: r.off, len: need }, fresh: false };
    }
    // A tail under 4 KB stays unused with this range.
    this.free.splice(best, 1);
    return { r, fresh: false };
  }

  u32(k: number, zero = true): Uint32Array {
    const { r, fresh } = this.take(k * 4);
    const v = new Uint32Array(r.buf, r.off, k);
    if (zero && !fresh) v.fill(0);
    return v;
  }

  i32(k: number, zero = true): Int32Array {
    const { r, fresh } = this.take(k * 4);
    const v = new Int32Array(r.buf, r.off, k);
    if (zero && !fresh) v.fill(0);
    return v;
  }

  f64(k: number, zero = true): Float64Array {
    const { r, fresh } = this.take(k * 8);
    const v = new Float64Array(r.buf, r.off, k);
    if (zero && !fresh) v.fill(0);
    return v;
  }

  u8(k: number, zero = true): Uint8Array {
    const { r, fresh } = this.take(k);
    const v = new Uint8Array(r.buf, r.off, k);
    if (zero && !fresh) v.fill(0);
    return v;
  }

  /**
   * Return arrays to the pool (views on other memory are ignored and left to the GC). The caller must not use them
   * afterwards. Adjacent free ranges of one buffer are merged.
   */
  give(...views: Array<View | null | undefined>): void {
    for (const v of views) {
      if (!v || v.byteLength === 0 || !(v.buffer instanceof SharedArrayBuffer) || !this.mine.has(v.buffer)) continue;
      const buf = v.buffer;
      // Ranges stay 8-byte aligned (Float64Array views): a tail view (`a.subarray(k)`) starting mid-word gives up
      // its first 4 bytes; every range handed out ends on a multiple of 8, so rounding the end up is safe.
      let off = Math.ceil(v.byteOffset / 8) * 8;
      const end = Math.ceil((v.byteOffset + v.byteLength) / 8) * 8;
      if (end - off < 8) continue;
      let len = end - off;
      for (let i = this.free.length - 1; i >= 0; i--) {
        const r = this.free[i];
        if (r.buf !== buf) continue;
        if (r.off + r.len === off) {
          off = r.off;
          len += r.len;
          this.free.splice(i, 1);
        } else if (off + len === r.off) {
          len += r.len;
          this.free.splice(i, 1);
        }
      }
      this.free.push({ buf, off, len });
    }
  }

  /** Drop everything pooled (the memory goes when the last view on it is collected). */
  clear(): void {
    this.free = [];
  }
}
