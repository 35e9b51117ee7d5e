/**
 * A free list of shared memory for the per-object columns. Touching fresh memory is the dominant cost of the
 * analysis on the VMs we run on (a first write to a page costs ~6 ms per MB, against ~0.05 ms per MB to refill a
 * page already mapped), and each pass needs arrays of n or n + 1 elements that the previous pass has just freed.
 * So a pass returns its dead arrays here and the next one carves its arrays out of them. Everything lives in
 * SharedArrayBuffers so any array can be handed to the edge-pass workers.
 *
 * Fresh memory comes from one large arena, reserved up front but backed by the kernel only where it is written (an
 * untouched page costs nothing), by bumping a pointer: arrays freed next to each other then merge into one range,
 * and a freed range at the top of the arena grows into untouched memory instead of being passed over. With one
 * buffer per fresh array, two neighbouring arrays could never merge, and the peak (resident) memory grew by whatever
 * no later array fitted.
 */
import { totalmem } from 'node:os';

interface Range {
  buf: SharedArrayBuffer;
  off: number;
  len: number;
}

type View = Uint8Array | Int32Array | Uint32Array | Float64Array;

/**
 * Arena size for an analysis expected to need about `bytes`: a quarter more, at most half the machine's memory. It is
 * virtual until written, but it still counts towards the kernel's overcommit checks (a fork of this process needs as
 * much again), so it is sized to the job rather than to the machine. Past it, arrays get buffers of their own.
 */
export function arenaBytesFor(bytes: number): number {
  return Math.floor(Math.min(totalmem() / 2, Math.max(1 << 26, bytes * 1.25)) / 8) * 8;
}

export class BufferPool {
  private free: Range[] = [];
  private readonly mine = new WeakSet<SharedArrayBuffer>();
  private arena: SharedArrayBuffer | null = null;
  /** Arena bytes below this were handed out at least once (in use or in the free list); above, never written. */
  private top = 0;
  private arenaBytes: number;
  /** Bytes handed out from fresh memory and from the free list, for the record. */
  freshBytes = 0;
  reusedBytes = 0;

  constructor(opts: { arenaBytes?: number } = {}) {
    this.arenaBytes = opts.arenaBytes ?? 1 << 26;
  }

  /**
   * A range of at least `bytes` and how many of its first bytes may hold old data (the rest is fresh, all zeros).
   */
  private take(bytes: number): { r: Range; dirty: number } {
    const need = Math.max(8, Math.ceil(bytes / 8) * 8);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      if (r.len >= need && (best < 0 || r.len < this.free[best].len)) best = i;
    }
    if (best >= 0) {
      const r = this.free[best];
      this.reusedBytes += need;
      if (r.len - need >= 4096) {
        this.free[best] = { buf: r.buf, off: r.off + need, len: r.len - need };
        return { r: { buf: r.buf, off: r.off, len: need }, dirty: need };
      }
      // A tail under 4 KB stays unused with this range.
      this.free.splice(best, 1);
      return { r, dirty: r.len };
    }
    // From the arena, where a free range ending at the top grows into the untouched memory above it.
    const arena = this.reserveArena();
    const t = arena ? this.free.findIndex((r) => r.buf === arena && r.off + r.len === this.top) : -1;
    const start = t >= 0 ? this.free[t].off : this.top;
    if (!arena || start + need > this.arenaBytes) {
      this.freshBytes += need;
      const buf = new SharedArrayBuffer(need);
      this.mine.add(buf);
      return { r: { buf, off: 0, len: need }, dirty: 0 };
    }
    const dirty = t >= 0 ? this.free[t].len : 0;
    if (t >= 0) this.free.splice(t, 1);
    this.freshBytes += need - dirty;
    this.reusedBytes += dirty;
    this.top = start + need;
    return { r: { buf: arena, off: start, len: need }, dirty };
  }

  /** The arena, reserved on first use (smaller when the system refuses: overcommit limits); null when none. */
  private reserveArena(): SharedArrayBuffer | null {
    if (!this.arena) {
      for (let bytes = this.arenaBytes; bytes >= 1 << 26 && !this.arena; bytes = Math.floor(bytes / 16) * 8) {
        try {
          this.arena = new SharedArrayBuffer(bytes);
          this.arenaBytes = bytes;
          this.mine.add(this.arena);
        } catch {
          // try half as much
        }
      }
      if (!this.arena) this.arenaBytes = 0;
    }
    return this.arena;
  }

  private view<T extends View>(Ctor: new (b: SharedArrayBuffer, off: number, len: number) => T, size: number, k: number, zero: boolean): T {
    const { r, dirty } = this.take(k * size);
    const v = new Ctor(r.buf, r.off, k);
    if (zero && dirty > 0) v.subarray(0, Math.min(k, Math.ceil(dirty / size))).fill(0);
    return v;
  }

  u32(k: number, zero = true): Uint32Array {
    return this.view(Uint32Array, 4, k, zero);
  }

  i32(k: number, zero = true): Int32Array {
    return this.view(Int32Array, 4, k, zero);
  }

  f64(k: number, zero = true): Float64Array {
    return this.view(Float64Array, 8, k, zero);
  }

  u8(k: number, zero = true): Uint8Array {
    return this.view(Uint8Array, 1, k, zero);
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
    this.arena = null;
    this.top = 0;
  }
}
