import { ByteWindow } from './byte-window.js';
import type { IdIndexData } from './id-index.js';
import { SUB, TYPE_SIZE } from './model.js';
import type { Segment } from './pass1.js';

/** Per class, what the edge pass needs (plain data so it can be posted to a worker). */
export interface EdgeClass {
  refOffsets: Int32Array;
  referentOffset: number;
  /** Offset of the int size field for collections we check for emptiness, else -1. */
  sizeOffset: number;
  /** Offset of the backing-array ref of such a collection, else -1. */
  backingOffset: number;
}

/** Everything the edge pass reads or writes. Typed arrays may live in SharedArrayBuffers (parallel pass). */
export interface EdgeTask {
  path: string;
  idSize: number;
  segments: Segment[];
  index: IdIndexData;
  rankOfOrd: Uint32Array;
  cls: Int32Array;
  /** CSR slice start per node (upper bounds); slots left 0xFFFFFFFF are unused. */
  starts: Uint32Array;
  edges: Uint32Array;
  /** Bit per node: its last edge is `Reference.referent` (kept for dominators, skipped for GC-root paths). */
  weak: Int32Array;
  classes: EdgeClass[];
}

export interface EdgeResult {
  /** Nodes of empty collections and their backing array (−1 when none). */
  emptyNodes: number[];
  emptyBacking: number[];
  dangling: number;
  bytes: number;
}

/**
 * Pass 2: re-read the heap-dump segments and write each object's outgoing references into its CSR slice. Only
 * instances and object arrays are decoded; class objects get their edges from the class model and primitive arrays
 * have none.
 */
export async function runEdgePass(t: EdgeTask, onBytes?: (bytes: number) => void): Promise<EdgeResult> {
  const win = ByteWindow.open(t.path);
  const I = t.idSize;
  const { rankOfOrd, cls, starts, edges, weak, classes } = t;
  const ix = t.index;
  const keys = ix.keys;
  const wide = keys instanceof Float64Array;
  const minId = ix.minId;
  const gran = ix.granule;
  const maxKey = ix.maxKey;
  const shift = ix.shift;
  const dir = ix.dir;
  const shared = weak.buffer instanceof SharedArrayBuffer;
  const emptyNodes: number[] = [];
  const emptyBacking: number[] = [];
  let dangling = 0;
  let bytes = 0;

  // Inlined id → rank (see id-index.ts lookupId); this is the hot loop of the pass.
  const look = (id: number): number => {
    if (wide) {
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (keys[m] < id) lo = m + 1;
        else hi = m;
      }
      return lo < keys.length && keys[lo] === id ? lo : -1;
    }
    const d = id - minId;
    if (d < 0) return -1;
    const k = d / gran;
    if (k > maxKey || k !== Math.floor(k)) return -1;
    const pg = k >>> shift; // k ≤ maxKey < 2^32
    let lo = dir[pg];
    let hi = dir[pg + 1];
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (keys[m] < k) lo = m + 1;
      else hi = m;
    }
    return keys[lo] === k ? lo : -1;
  };
  const rd = (b: Buffer, p: number): number =>
    I === 8 ? ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) * 4294967296 + (((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0)
      : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  const u4 = (b: Buffer, p: number): number => ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;

  let ord = 0;
  let skipAfter = 0;
  let need = 0;
  let stop = false;

  /** Length of a CLASS_DUMP record (after the tag) or -1 when incomplete. */
  const classDumpLen = (b: Buffer, p0: number, lim: number): number => {
    let q = p0 + 7 * I + 8;
    if (q + 2 > lim) return -1;
    const cp = (b[q] << 8) | b[q + 1];
    q += 2;
    for (let k = 0; k < cp; k++) {
      if (q + 3 > lim) return -1;
      const ty = b[q + 2];
      q += 3 + (ty === 2 || ty === 1 ? I : TYPE_SIZE[ty]);
    }
    if (q + 2 > lim) return -1;
    const ns = (b[q] << 8) | b[q + 1];
    q += 2;
    for (let k = 0; k < ns; k++) {
      if (q + I + 1 > lim) return -1;
      const ty = b[q + I];
      q += I + 1 + (ty === 2 || ty === 1 ? I : TYPE_SIZE[ty]);
    }
    if (q + 2 > lim) return -1;
    const nf = (b[q] << 8) | b[q + 1];
    q += 2 + nf * (I + 1);
    return q > lim ? -1 : q - p0;
  };

  const scan = (b: Buffer, p: number, lim: number): number => {
    // Locals rather than imported constants in the hot loop (module bindings are re-checked on every access).
    const INSTANCE = 0x21;
    const OBJARR = 0x22;
    const PRIM = 0x23;
    const TS = TYPE_SIZE;
    need = 0;
    while (p < lim) {
      const tag = b[p];
      if (tag === INSTANCE) {
        const h = 1 + 2 * I + 8;
        if (p + h > lim) { need = h; return p; }
        const n = u4(b, p + 1 + 2 * I + 4);
        if (p + h + n > lim) { need = h + n; return p; }
        const r = rankOfOrd[ord++];
        const c = classes[cls[r]];
        const offs = c.refOffsets;
        if (offs.length > 0) {
          const v = p + h;
          let w = starts[r];
          const ro = c.referentOffset;
          for (let k = 0; k < offs.length; k++) {
            const o = offs[k];
            if (o === ro || o + I > n) continue;
            const id = rd(b, v + o);
            if (id === 0) continue;
            const x = look(id);
            if (x < 0) dangling++;
            else edges[w++] = x;
          }
          if (ro >= 0 && ro + I <= n) {
            const id = rd(b, v + ro);
            const x = id === 0 ? -1 : look(id);
            if (x >= 0) {
              edges[w++] = x;
              if (shared) Atomics.or(weak, r >>> 5, 1 << (r & 31));
              else weak[r >>> 5] |= 1 << (r & 31);
            } else if (id !== 0) dangling++;
          }
          if (c.sizeOffset >= 0 && c.sizeOffset + 4 <= n && u4(b, v + c.sizeOffset) === 0) {
            emptyNodes.push(r);
            const bid = c.backingOffset >= 0 ? rd(b, v + c.backingOffset) : 0;
            emptyBacking.push(bid === 0 ? -1 : look(bid));
          }
        }
        p += h + n;
      } else if (tag === OBJARR) {
        const h = 1 + 2 * I + 8;
        if (p + h > lim) { need = h; return p; }
        const len = u4(b, p + 1 + I + 4);
        if (p + h + len * I > lim) { need = h + len * I; return p; }
        const r = rankOfOrd[ord++];
        let w = starts[r];
        let q = p + h;
        for (let k = 0; k < len; k++, q += I) {
          const id = rd(b, q);
          if (id === 0) continue;
          const x = look(id);
          if (x < 0) dangling++;
          else edges[w++] = x;
        }
        p = q;
      } else if (tag === PRIM) {
        const h = 1 + I + 9;
        if (p + h > lim) { need = h; return p; }
        const body = u4(b, p + 1 + I + 4) * TS[b[p + 1 + I + 8]];
        ord++;
        if (p + h + body > lim) {
          skipAfter = body;
          return p + h;
        }
        p += h + body;
      } else if (tag === SUB.CLASS_DUMP) {
        const l = classDumpLen(b, p + 1, lim);
        if (l < 0) { need = lim - p + 256; return p; }
        ord++;
        p += 1 + l;
      } else if (tag === SUB.PRIM_ARRAY_NODATA) {
        if (p + 1 + I + 9 > lim) { need = 1 + I + 9; return p; }
        ord++;
        p += 1 + I + 9;
      } else if (tag === SUB.HEAP_DUMP_INFO) {
        if (p + 1 + 4 + I > lim) { need = 1 + 4 + I; return p; }
        p += 1 + 4 + I;
      } else {
        const extra = ROOT_EXTRA[tag];
        if (extra === undefined) {
          stop = true;
          return p;
        }
        const len = 1 + I + (extra < 0 ? I : extra);
        if (p + len > lim) { need = len; return p; }
        p += len;
      }
    }
    return p;
  };

  try {
    for (const seg of t.segments) {
      ord = seg.firstOrd;
      const endOrd = seg.firstOrd + seg.objects;
      await win.seek(seg.start);
      const endAbs = seg.start + seg.length;
      stop = false;
      while (win.offset < endAbs && !stop && ord < endOrd) {
        if (!(await win.fill(1))) break;
        const lim = Math.min(win.end, endAbs - win.base);
        const before = win.offset;
        win.pos = scan(win.buf, win.pos, lim);
        if (skipAfter > 0) {
          const s = skipAfter;
          skipAfter = 0;
          await win.skip(s);
        } else if (need > 0) {
          if (!(await win.fill(Math.min(need, endAbs - win.offset)))) break;
        }
        const moved = win.offset - before;
        bytes += moved;
        if (onBytes && moved > 0) onBytes(moved);
      }
    }
  } finally {
    win.close();
  }
  return { emptyNodes, emptyBacking, dangling, bytes };
}

const ROOT_EXTRA: Record<number, number> = {
  0xff: 0, 0x01: -1, 0x02: 8, 0x03: 8, 0x04: 4, 0x05: 0, 0x06: 4, 0x07: 0, 0x08: 8,
  0x89: 0, 0x8a: 0, 0x8b: 0, 0x8c: 0, 0x8d: 0, 0x8e: 8, 0x90: 0,
};
