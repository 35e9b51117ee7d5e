/**
 * Object id → object index. The index of an object is the rank of its address (Eclipse MAT's choice): ids are
 * radix-sorted as 32-bit keys `(id − min) / granule`, and a page directory narrows each lookup to a short binary
 * search. A JS Map is not an option: it stops at 2^24 entries and costs ~80 bytes per entry.
 */
import type { BufferPool } from './pool.js';
export interface IdIndexData {
  minId: number;
  granule: number;
  maxKey: number;
  shift: number;
  /** Sorted keys (Uint32Array), or sorted raw ids (Float64Array) when the address span is too wide for 32 bits. */
  keys: Uint32Array | Float64Array;
  dir: Uint32Array;
}

export function lookupId(ix: IdIndexData, id: number): number {
  const d = id - ix.minId;
  if (d < 0) return -1;
  const keys = ix.keys;
  let k: number;
  if (keys instanceof Float64Array) {
    k = id;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (keys[m] < k) lo = m + 1;
      else hi = m;
    }
    return lo < keys.length && keys[lo] === k ? lo : -1;
  }
  k = d / ix.granule;
  if (k > ix.maxKey || k !== Math.floor(k)) return -1;
  const pg = k >>> ix.shift; // k < 2^32 here
  let lo = ix.dir[pg];
  let hi = ix.dir[pg + 1];
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (keys[m] < k) lo = m + 1;
    else hi = m;
  }
  return lo < keys.length && keys[lo] === k ? lo : -1;
}

export function idAt(ix: IdIndexData, rank: number): number {
  const keys = ix.keys;
  return keys instanceof Float64Array ? keys[rank] : ix.minId + keys[rank] * ix.granule;
}

export interface BuiltIndex {
  index: IdIndexData;
  /** rank → dump ordinal. */
  ordOfRank: Uint32Array;
  /** dump ordinal → rank. */
  rankOfOrd: Uint32Array;
  /** Address granule of the heap, the GCD of address gaps clamped to [8, 256] (MAT's object alignment). */
  alignment: number;
}

/**
 * Sort the ids of pass 1. Arrays come from `pool` (shared memory, reused); `releaseIds` is called as soon as `ids`
 * is no longer read, so the sorted arrays can reuse its memory.
 */
export function buildIdIndex(ids: Float64Array, pool: BufferPool, releaseIds: () => void = () => undefined): BuiltIndex {
  const alloc = (k: number): Uint32Array => pool.u32(k, false);
  const n = ids.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = ids[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) {
    min = 0;
    max = 0;
  }
  // Largest power of two ≤ 8 dividing every (id − min): OR the low bits of the differences (`|` truncates an
  // integral double to its low 32 bits, which hold the low 3), no floating-point remainder per object.
  let low = 0;
  for (let i = 0; i < n; i++) low |= ids[i] - min;
  const granule = (low & 7) === 0 ? 8 : (low & 3) === 0 ? 4 : (low & 1) === 0 ? 2 : 1;
  const span = (max - min) / granule;
  if (span >= 2 ** 32 - 1) {
    const b = buildWide(ids, alloc, min);
    releaseIds();
    return b;
  }

  const keys0 = alloc(n);
  let sorted = true;
  // Exact: the granule is a power of two dividing every difference.
  const inv = 1 / granule;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const k = (ids[i] - min) * inv;
    keys0[i] = k;
    if (k < prev) sorted = false;
    prev = k;
  }
  releaseIds();
  const ordOfRank = alloc(n);
  const keys = alloc(n);
  if (sorted) {
    for (let i = 0; i < n; i++) ordOfRank[i] = i;
    keys.set(keys0);
  } else if (!mergeNearlySorted(keys0, keys, ordOfRank, pool)) {
    radixInto(keys0, keys, ordOfRank, pool);
  }
  pool.give(keys0);
  const rankOfOrd = alloc(n);
  for (let r = 0; r < n; r++) rankOfOrd[ordOfRank[r]] = r;

  const maxKey = n > 0 ? keys[n - 1] : 0;
  // About eight objects per page: ~0.5 byte per object for the directory, a ~3 step binary search per lookup.
  let shift = 0;
  while ((maxKey + 1) / 2 ** shift > Math.max(1, n / 8)) shift++;
  const page = 2 ** shift;
  const pages = Math.floor(maxKey / page) + 1;
  const dir = alloc(pages + 1);
  let r = 0;
  for (let pg = 0; pg <= pages; pg++) {
    const firstKey = pg * page;
    while (r < n && keys[r] < firstKey) r++;
    dir[pg] = r;
  }
  return { index: { minId: min, granule, maxKey, shift, keys, dir }, ordOfRank, rankOfOrd, alignment: alignmentOf(keys, granule) };
}

function alignmentOf(keys: Uint32Array | Float64Array, granule: number): number {
  let g = 0;
  const gcd = (a: number, b: number): number => {
    while (b) {
      const t = a % b;
      a = b;
      b = t;
    }
    return a;
  };
  const lim = Math.min(keys.length, 1 << 22);
  for (let i = 1; i < lim && g !== 1; i++) {
    const d = keys[i] - keys[i - 1];
    if (d > 0) g = gcd(g, d);
  }
  const a = (g || 1) * (keys instanceof Float64Array ? 1 : granule);
  return Math.min(256, Math.max(8, a));
}

function buildWide(ids: Float64Array, alloc: (n: number) => Uint32Array, min: number): BuiltIndex {
  // Heaps spanning more than 32 GiB of addresses (no compressed oops): slower path with 8-byte keys.
  const n = ids.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ids[a] - ids[b]);
  const ordOfRank = alloc(n);
  const keys = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    ordOfRank[r] = order[r];
    keys[r] = ids[order[r]];
  }
  const rankOfOrd = alloc(n);
  for (let r = 0; r < n; r++) rankOfOrd[ordOfRank[r]] = r;
  return {
    index: { minId: min, granule: 1, maxKey: 0, shift: 0, keys, dir: new Uint32Array(1) },
    ordOfRank,
    rankOfOrd,
    alignment: alignmentOf(keys, 1),
  };
}

/** Stable LSD radix sort (two 16-bit digits): the permutation that sorts `keys` ascending. */
export function radixOrder(keys: Uint32Array, pool?: BufferPool): Uint32Array {
  const n = keys.length;
  const sorted = pool ? pool.u32(n, false) : new Uint32Array(n);
  const out = pool ? pool.u32(n, false) : new Uint32Array(n);
  radixInto(keys, sorted, out, pool);
  pool?.give(sorted);
  return out;
}

/** Stable LSD radix sort (two 16-bit digits) of `keys0` into `keys`, with the source positions in `order`. */
function radixInto(keys0: Uint32Array, keys: Uint32Array, order: Uint32Array, pool?: BufferPool): void {
  const n = keys0.length;
  const tmpK = pool ? pool.u32(n, false) : new Uint32Array(n);
  const tmpO = pool ? pool.u32(n, false) : new Uint32Array(n);
  const cnt = new Uint32Array(65537);
  for (let i = 0; i < n; i++) cnt[(keys0[i] & 0xffff) + 1]++;
  for (let i = 1; i <= 65536; i++) cnt[i] += cnt[i - 1];
  for (let i = 0; i < n; i++) {
    const at = cnt[keys0[i] & 0xffff]++;
    tmpK[at] = keys0[i];
    tmpO[at] = i;
  }
  cnt.fill(0);
  for (let i = 0; i < n; i++) cnt[(tmpK[i] >>> 16) + 1]++;
  for (let i = 1; i <= 65536; i++) cnt[i] += cnt[i - 1];
  for (let i = 0; i < n; i++) {
    const at = cnt[tmpK[i] >>> 16]++;
    keys[at] = tmpK[i];
    order[at] = tmpO[i];
  }
  pool?.give(tmpK, tmpO);
}

/**
 * HotSpot writes the class mirrors first and then the heap in address order, so all but a few hundred ids are
 * already sorted. Walking backwards, keep the longest tail-anchored non-increasing chain as the sorted run; the rest
 * (the outliers) are sorted on their own and merged in: linear time instead of a radix sort's scattered writes.
 * Returns false (caller falls back to radix) when more than 1/16 of the ids are outliers, e.g. parallel JDK 21 dumps.
 */
function mergeNearlySorted(keys0: Uint32Array, keys: Uint32Array, order: Uint32Array, pool: BufferPool): boolean {
  const n = keys0.length;
  const outlier = pool.u8(n);
  let outliers = 0;
  let low = Infinity;
  for (let i = n - 1; i >= 0; i--) {
    if (keys0[i] <= low) low = keys0[i];
    else {
      outlier[i] = 1;
      if (++outliers > n / 16) {
        pool.give(outlier);
        return false;
      }
    }
  }
  const oi = new Uint32Array(outliers);
  for (let i = 0, k = 0; i < n; i++) if (outlier[i]) oi[k++] = i;
  // Small: a comparison sort is fine (stable by position for equal keys).
  const os = Array.from(oi).sort((a, b) => keys0[a] - keys0[b] || a - b);
  let i = 0;
  let j = 0;
  let r = 0;
  while (i < n || j < os.length) {
    while (i < n && outlier[i]) i++;
    if (i >= n && j >= os.length) break;
    const takeOutlier = j < os.length && (i >= n || keys0[os[j]] < keys0[i] || (keys0[os[j]] === keys0[i] && os[j] < i));
    const src = takeOutlier ? os[j++] : i++;
    keys[r] = keys0[src];
    order[r++] = src;
  }
  pool.give(outlier);
  return true;
}
