import { ByteWindow } from './byte-window.js';
import { Growable, IdIntMap } from './growable.js';
import { BufferPool } from './pool.js';
import { KIND_OBJ_ARRAY, KIND_PRIM_ARRAY, KNOWN_TOP_TAGS, PRIM_SIG, SUB, TAG, TYPE_SIZE, newClass, type ClassInfo } from './model.js';
import { HeapDumpError } from './types.js';

/** Where one HEAP_DUMP(_SEGMENT) body lies and which object ordinal it starts with (for the edge pass). */
export interface Segment {
  start: number;
  length: number;
  firstOrd: number;
  objects: number;
}

/** Root kinds we count as GC roots (Android's 0x90 "unreachable" is not one). */
const ROOT_SIZES_AFTER_ID: Record<number, number> = {
  0xff: 0, 0x01: -1, 0x02: 8, 0x03: 8, 0x04: 4, 0x05: 0, 0x06: 4, 0x07: 0, 0x08: 8,
  0x89: 0, 0x8a: 0, 0x8b: 0, 0x8c: 0, 0x8d: 0, 0x8e: 8,
};

/** Byte and char arrays up to this many bytes are hashed, so Strings can be grouped by value without a 3rd pass. */
const HASH_MAX_BYTES = 16384;

/** Objects between two seek marks. */
export const MARK_EVERY = 2048;

export interface Pass1Result {
  format: string;
  idSize: 4 | 8;
  headerBytes: number;
  strings: Map<number, string>;
  loadClassNames: Map<number, number>;
  classes: ClassInfo[];
  classIndex: IdIntMap;
  /** Per object, dump order. `cls` of a class object is -1 (java.lang.Class resolved later), `aux` its class idx. */
  ids: Float64Array;
  cls: Int32Array;
  /** Array length for arrays; class index for class objects; 0 for instances. */
  aux: Uint32Array;
  /** The columns' whole pool ranges (capacity, not count), to give back when they die. */
  idsCap: Float64Array;
  clsAuxCap: Float64Array;
  count: number;
  roots: Float64Array;
  segments: Segment[];
  compressedByArrays: boolean;
  /**
   * Seek marks: pairs (ordinal, stream offset of a record boundary at or before that object's record), about one
   * per {@link MARK_EVERY} objects, so a few records can be read back without scanning their whole segment.
   */
  marks: Float64Array;
  /**
   * Hashes of small byte[]/char[] contents: ordinal and two independent 32-bit hashes (FNV-1a and a
   * polynomial one), grouped later with the length: equal strings need all 64 bits and the length to agree.
   */
  hashOrd: Uint32Array;
  hashVal: Uint32Array;
  hashVal2: Uint32Array;
  /** The hash columns' whole pool arrays, to give back when they die. */
  hashCaps: Uint32Array[];
  heapOptions: string[];
  warnings: string[];
  /** Set when the dump ended early or had a record that could not be decoded. */
  error: HeapDumpError | null;
  endOffset: number;
}

class Need {
  constructor(readonly bytes: number) {}
}

const NEED_MORE = -1;

/**
 * Pass 1: one sequential read. Collects strings, classes, roots and per object (in dump order) id, class and array
 * length. Array bodies are skipped (seeked over in plain files) except small byte/char arrays, which are hashed.
 */
export async function runPass1(win: ByteWindow, onProgress: (f: number) => void, pool: BufferPool = new BufferPool()): Promise<Pass1Result> {
  const warnings: string[] = [];
  // A gzip stream can fail on its very first block: that too is an error about the dump, at offset 0.
  const head = await win.fill(Math.min(64, win.fileSize || 64)).catch((e: unknown) => {
    throw new HeapDumpError(`cannot read the dump: ${(e as Error).message}`, 0, null);
  });
  if (!head) throw new HeapDumpError('empty file: not an HPROF heap dump', 0, null);
  const b0 = win.buf;
  let nul = -1;
  for (let i = 0; i < Math.min(win.avail, 64); i++) if (b0[i] === 0) { nul = i; break; }
  const format = nul > 0 ? b0.toString('latin1', 0, nul) : '';
  if (!format.startsWith('JAVA PROFILE 1.0')) {
    throw new HeapDumpError(`not an HPROF heap dump (header ${JSON.stringify(format.slice(0, 20) || b0.toString('latin1', 0, 12))}); expected "JAVA PROFILE 1.0.x"`, 0, null);
  }
  if (!(await win.fill(nul + 13))) throw new HeapDumpError('truncated HPROF header', win.offset, null);
  const idSizeRaw = win.buf.readUInt32BE(nul + 1);
  if (idSizeRaw !== 4 && idSizeRaw !== 8) throw new HeapDumpError(`unsupported identifier size ${idSizeRaw} (expected 4 or 8)`, nul + 1, null);
  const idSize = idSizeRaw as 4 | 8;
  win.pos = nul + 13;
  const headerBytes = nul + 13;

  const strings = new Map<number, string>();
  const loadClassNames = new Map<number, number>();
  const classes: ClassInfo[] = [];
  const classIndex = new IdIntMap(4096);
  // Per-object columns, grown together. Plain typed arrays in locals (not a generic wrapper) keep the hot
  // stores monomorphic.
  // Start near the expected count (a HotSpot object takes ≥ ~25 bytes in the file, ~44 on average) so the columns
  // are rarely copied while growing; gzip sizes are a guess (dumps compress ~4x).
  let cap = Math.max(1 << 16, Math.ceil((win.fileSize * (win.gzip ? 4 : 1)) / 40));
  // The three columns share one pool block, ids first: cls and aux die together later, and their adjacent ranges
  // then merge into one free range big enough for the edge array.
  const block = (k: number): [Float64Array, Int32Array, Uint32Array] => {
    const all = pool.f64(2 * k, false);
    return [new Float64Array(all.buffer, all.byteOffset, k), new Int32Array(all.buffer, all.byteOffset + 8 * k, k), new Uint32Array(all.buffer, all.byteOffset + 12 * k, k)];
  };
  let [idsA, clsA, auxA] = block(cap);
  let count = 0;
  const grow = (): void => {
    cap *= 2;
    const [a, b, c] = block(cap);
    a.set(idsA);
    b.set(clsA);
    c.set(auxA);
    pool.give(idsA, clsA, auxA);
    idsA = a;
    clsA = b;
    auxA = c;
  };
  const addObj = (id: number, c: number, x: number): void => {
    if (count === cap) grow();
    idsA[count] = id;
    clsA[count] = c;
    auxA[count] = x;
    count++;
  };
  const roots = new Growable(Float64Array, 1024);
  const marks = new Growable(Float64Array, 1024);
  let nextMark = 0;
  // One small byte[]/char[] in ~6 objects is typical (String values): start there, in pool memory.
  const hashCap = Math.max(1 << 12, Math.ceil(cap / 6));
  const fromPool = (k: number): Uint32Array => pool.u32(k, false);
  const toPool = (a: Uint32Array): void => pool.give(a);
  const hashOrd = new Growable(Uint32Array, hashCap, fromPool, toPool);
  const hashVal = new Growable(Uint32Array, hashCap, fromPool, toPool);
  const hashVal2 = new Growable(Uint32Array, hashCap, fromPool, toPool);
  const heapOptions: string[] = [];
  const segments: Segment[] = [];
  const primClass: number[] = [];
  const loadClassByName = new Map<string, number>();
  let compressed = false;
  let prevArr = -1;
  let prevArrLen = 0;
  let error: HeapDumpError | null = null;
  let unknownSubWarned = 0;

  const classOf = (id: number): number => {
    let i = classIndex.get(id);
    if (i < 0) {
      i = classes.length;
      classes.push(newClass(i, id));
      classIndex.set(id, i);
    }
    return i;
  };
  const primClassOf = (t: number): number => {
    let i = primClass[t];
    if (i === undefined) {
      // HotSpot dumps a class object for `[B` and friends; link to it so arrays get their class edge.
      const objId = loadClassByName.get('[' + PRIM_SIG[t]);
      if (objId !== undefined) i = classOf(objId);
      else {
        i = classes.length;
        classes.push(newClass(i, 0));
        classes[i].name = '[' + PRIM_SIG[t];
      }
      classes[i].kind = KIND_PRIM_ARRAY;
      classes[i].elemType = t;
      primClass[t] = i;
    }
    return i;
  };

  const rd = (b: Buffer, p: number): number =>
    idSize === 8 ? ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) * 4294967296 + (((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0)
      : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  // Small helper reused below; `>>> 0` keeps it unsigned.
  const u4 = (b: Buffer, p: number): number => ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;

  /** Parse a CLASS_DUMP body starting after the tag; returns its end or NEED_MORE. */
  const classDump = (b: Buffer, p: number, lim: number): number => {
    const I = idSize;
    if (p + 7 * I + 8 + 2 > lim) return NEED_MORE;
    const id = rd(b, p);
    const superId = rd(b, p + I + 4);
    const loaderId = rd(b, p + 2 * I + 4);
    const signersId = rd(b, p + 3 * I + 4);
    const pdId = rd(b, p + 4 * I + 4);
    let q = p + 7 * I + 8;
    const cp = (b[q] << 8) | b[q + 1];
    q += 2;
    for (let k = 0; k < cp; k++) {
      if (q + 3 > lim) return NEED_MORE;
      const t = b[q + 2];
      const s = t === 2 || t === 1 ? I : TYPE_SIZE[t];
      if (!(s > 0)) throw new HeapDumpError(`bad constant-pool type ${t} in class dump`, win.base + q, null);
      q += 3 + s;
    }
    if (q + 2 > lim) return NEED_MORE;
    const nStatic = (b[q] << 8) | b[q + 1];
    q += 2;
    const sNames: number[] = [];
    const sTypes: number[] = [];
    const sRefs: number[] = [];
    for (let k = 0; k < nStatic; k++) {
      if (q + I + 1 > lim) return NEED_MORE;
      const t = b[q + I];
      const s = t === 2 || t === 1 ? I : TYPE_SIZE[t];
      if (!(s > 0)) throw new HeapDumpError(`bad static field type ${t} in class dump`, win.base + q, null);
      if (q + I + 1 + s > lim) return NEED_MORE;
      sNames.push(rd(b, q));
      sTypes.push(t);
      sRefs.push(t === 2 || t === 1 ? rd(b, q + I + 1) : 0);
      q += I + 1 + s;
    }
    if (q + 2 > lim) return NEED_MORE;
    const nFields = (b[q] << 8) | b[q + 1];
    q += 2;
    if (q + nFields * (I + 1) > lim) return NEED_MORE;
    const fNames: number[] = [];
    const fTypes: number[] = [];
    for (let k = 0; k < nFields; k++) {
      const t = b[q + I];
      if (!(t === 2 || t === 1 || TYPE_SIZE[t] > 0)) throw new HeapDumpError(`bad instance field type ${t} in class dump`, win.base + q, null);
      fNames.push(rd(b, q));
      fTypes.push(t === 1 ? 2 : t);
      q += I + 1;
    }
    const c = classes[classOf(id)];
    c.hasDump = true;
    c.superId = superId;
    c.loaderId = loaderId;
    c.signersId = signersId;
    c.pdId = pdId;
    c.staticNames = sNames;
    c.staticTypes = sTypes;
    c.staticRefs = sRefs;
    c.fieldNames = fNames;
    c.fieldTypes = fTypes;
    addObj(id, -1, c.idx);
    return q;
  };

  let skipAfter = 0;
  /**
   * Sync scan of complete sub-records in buf[p..lim). Returns the new position; sets `need` when the next record
   * is incomplete, or `skipAfter` when only a big array's body remains to be skipped.
   */
  let need = 0;
  const scan = (b: Buffer, p: number, lim: number): number => {
    const I = idSize;
    // Locals rather than imported constants in the hot loop (module bindings are re-checked on every access).
    const INSTANCE = 0x21;
    const PRIM = 0x23;
    const OBJARR = 0x22;
    const TS = TYPE_SIZE;
    need = 0;
    while (p < lim) {
      const tag = b[p];
      if (count >= nextMark) {
        marks.push(count);
        marks.push(win.base + p);
        nextMark = count + MARK_EVERY;
      }
      if (tag === INSTANCE) {
        const h = 1 + 2 * I + 8;
        if (p + h > lim) { need = h; return p; }
        const n = u4(b, p + 1 + 2 * I + 4);
        if (p + h + n > lim) { need = h + n; return p; }
        const cid = rd(b, p + 1 + I + 4);
        let ci = classIndex.get(cid);
        if (ci < 0) ci = classOf(cid);
        const c = classes[ci];
        if (!c.hasDump && c.seenBytes < 0) c.seenBytes = n;
        addObj(rd(b, p + 1), ci, 0);
        p += h + n;
      } else if (tag === PRIM) {
        const h = 1 + I + 9;
        if (p + h > lim) { need = h; return p; }
        const len = u4(b, p + 1 + I + 4);
        const t = b[p + 1 + I + 8];
        const es = TS[t];
        if (!(es > 0)) throw new HeapDumpError(`bad primitive array element type ${t}`, win.base + p, null);
        const body = len * es;
        const hashable = (t === 8 || t === 5) && body <= HASH_MAX_BYTES;
        if (hashable && p + h + body > lim) { need = h + body; return p; }
        const ord = count;
        addObj(rd(b, p + 1), primClassOf(t), len);
        if (hashable) {
          // Two independent 32-bit hashes over the bytes (FNV-1a; a polynomial one with an odd 32-bit multiplier, whose
          // dependency chain is as short as FNV's so both run side by side), grouped later with the length: a false
          // duplicate needs both to collide between arrays of equal length.
          let hsh = 0x811c9dc5;
          let h2 = 0x9747b28c;
          const s = p + h;
          for (let k = s; k < s + body; k++) {
            const x = b[k];
            hsh = Math.imul(hsh ^ x, 16777619);
            h2 = Math.imul(h2 + x, 0x9e3779b1);
          }
          hashOrd.push(ord);
          hashVal.push(hsh >>> 0);
          hashVal2.push(h2 >>> 0);
          if (body >= 4 && heapOptions.length < 20 && b[s] === 0x2d) noteHeapOption(b, s, body, t);
          p += h + body;
        } else if (p + h + body > lim) {
          skipAfter = body;
          return p + h;
        } else p += h + body;
      } else if (tag === OBJARR) {
        const h = 1 + 2 * I + 8;
        if (p + h > lim) { need = h; return p; }
        const id = rd(b, p + 1);
        const len = u4(b, p + 1 + I + 4);
        const body = len * I;
        // MAT's compressed-oops test: an array that starts inside the previous one (sized with 8-byte refs)
        // proves that refs are 4 bytes in the heap.
        if (I === 8 && prevArr >= 0 && id > prevArr && id < prevArr + 16 + 8 * prevArrLen) compressed = true;
        prevArr = id;
        prevArrLen = len;
        const aci = classOf(rd(b, p + 1 + I + 8));
        const ac = classes[aci];
        if (ac.kind === 0) ac.kind = KIND_OBJ_ARRAY;
        addObj(id, aci, len);
        if (p + h + body > lim) {
          skipAfter = body;
          return p + h;
        }
        p += h + body;
      } else if (tag === SUB.CLASS_DUMP) {
        const q = classDump(b, p + 1, lim);
        if (q === NEED_MORE) { need = lim - p + 256; return p; }
        p = q;
      } else if (tag === SUB.PRIM_ARRAY_NODATA) {
        const h = 1 + I + 9;
        if (p + h > lim) { need = h; return p; }
        const t = b[p + 1 + I + 8];
        addObj(rd(b, p + 1), primClassOf(TYPE_SIZE[t] > 0 ? t : 8), u4(b, p + 1 + I + 4));
        p += h;
      } else if (tag === SUB.HEAP_DUMP_INFO) {
        if (p + 1 + 4 + I > lim) { need = 1 + 4 + I; return p; }
        p += 1 + 4 + I;
      } else if (tag === 0x90) {
        if (p + 1 + I > lim) { need = 1 + I; return p; }
        p += 1 + I;
      } else {
        const extra = ROOT_SIZES_AFTER_ID[tag];
        if (extra === undefined) throw new Need(-tag - 1);
        const len = 1 + I + (extra < 0 ? I : extra);
        if (p + len > lim) { need = len; return p; }
        roots.push(rd(b, p + 1));
        p += len;
      }
    }
    return p;
  };

  const noteHeapOption = (b: Buffer, s: number, body: number, t: number): void => {
    const txt = t === 8 ? b.toString('latin1', s, s + Math.min(body, 200)) : Buffer.from(b.subarray(s, s + Math.min(body, 400))).swap16().toString('utf16le');
    if (/^-Xmx\d|^-XX:MaxHeapSize=|^-XX:MaxRAMPercentage=|^-XX:MaxRAM=/.test(txt) && !heapOptions.includes(txt)) heapOptions.push(txt);
  };

  let lastProgress = 0;
  const progress = (): void => {
    const f = win.fractionRead();
    if (f - lastProgress >= 0.01) {
      lastProgress = f;
      onProgress(f);
    }
  };

  const segment = async (len: number): Promise<void> => {
    const start = win.offset;
    const seg: Segment = { start, length: len, firstOrd: count, objects: 0 };
    segments.push(seg);
    const endAbs = start + len;
    while (win.offset < endAbs) {
      if (!(await win.fill(Math.min(1, endAbs - win.offset)))) break;
      const lim = Math.min(win.end, endAbs - win.base);
      let p: number;
      try {
        p = scan(win.buf, win.pos, lim);
      } catch (e) {
        if (e instanceof Need) {
          // Unknown sub-record: its length is unknowable, so the rest of this segment is skipped.
          const at = win.base + (win.pos + 0);
          if (unknownSubWarned++ < 5) warnings.push(`unknown heap sub-record 0x${(-e.bytes - 1).toString(16)} near offset ${at}: rest of the segment skipped`);
          seg.objects = count - seg.firstOrd;
          await win.seek(endAbs);
          return;
        }
        throw e;
      }
      win.pos = p;
      if (skipAfter > 0) {
        const s = skipAfter;
        skipAfter = 0;
        if (win.offset + s > endAbs) throw new HeapDumpError('array runs past the end of its heap-dump segment', win.offset, null);
        if (!(await win.skip(s))) throw new HeapDumpError(`dump ends inside an array body (${s} bytes expected)`, win.offset, null);
      } else if (need > 0) {
        const segLeft = endAbs - win.offset;
        if (need > segLeft) {
          // A class dump's length is only known once parsed, so its request is a guess: clamp it to the segment.
          if (win.buf[win.pos] !== SUB.CLASS_DUMP || win.avail >= segLeft) {
            throw new HeapDumpError(`sub-record 0x${win.buf[win.pos].toString(16)} runs past the end of its heap-dump segment`, win.offset, null);
          }
          need = segLeft;
        }
        if (!(await win.fill(need))) throw new HeapDumpError('dump ends inside a heap-dump record', win.offset, null);
      }
      progress();
    }
    if (win.offset < endAbs) throw new HeapDumpError(`dump ends inside a heap-dump segment (${endAbs - win.offset} bytes missing)`, win.offset, null);
    seg.objects = count - seg.firstOrd;
  };

  try {
    for (;;) {
      const recStart = win.offset;
      // Most records are small and already in the window: only a refill is awaited (an await per record costs
      // ~1 µs, and a HotSpot dump starts with ~40 k name records).
      if (win.avail < 9 && !(await win.fill(9))) {
        if (win.avail > 0) throw new HeapDumpError(`dump ends inside a record header`, recStart, null);
        break;
      }
      const b = win.buf;
      const p = win.pos;
      const tag = b[p];
      const len = u4(b, p + 5);
      if (tag === TAG.HEAP_DUMP || tag === TAG.HEAP_DUMP_SEGMENT) {
        win.pos += 9;
        await segment(len);
        continue;
      }
      if (tag === TAG.HEAP_DUMP_END) {
        win.pos += 9;
        await win.skip(len);
        continue;
      }
      if (tag === TAG.UTF8 || tag === TAG.LOAD_CLASS) {
        if (win.avail < 9 + len && !(await win.fill(9 + len))) throw new HeapDumpError(`dump ends inside a record (tag 0x${tag.toString(16)}, ${len} bytes)`, recStart, null);
        const q = win.pos + 9;
        const bb = win.buf;
        if (tag === TAG.UTF8) {
          if (len < idSize) throw new HeapDumpError(`UTF8 record shorter than an id`, recStart, null);
          // Modified UTF-8 differs from UTF-8 only for NUL and supplementary characters: good enough for names.
          strings.set(rd(bb, q), bb.toString('utf8', q + idSize, q + len));
        } else {
          if (len < 8 + 2 * idSize) throw new HeapDumpError(`LOAD_CLASS record too short`, recStart, null);
          const cid = rd(bb, q + 4);
          const nid = rd(bb, q + 8 + idSize);
          loadClassNames.set(cid, nid);
          const nm = strings.get(nid);
          if (nm !== undefined && nm.startsWith('[') && nm.length === 2) loadClassByName.set(nm, cid);
        }
        win.pos += 9 + len;
        continue;
      }
      if (!KNOWN_TOP_TAGS.has(tag)) {
        if (warnings.length < 50) warnings.push(`unknown record tag 0x${tag.toString(16)} at offset ${recStart} (${len} bytes) skipped`);
      }
      win.pos += 9;
      if (len <= win.avail) win.pos += len;
      else if (!(await win.skip(len))) throw new HeapDumpError(`dump ends inside a record (tag 0x${tag.toString(16)}, ${len} bytes)`, recStart, null);
      progress();
    }
  } catch (e) {
    if (!(e instanceof HeapDumpError)) {
      const msg = e instanceof Error ? e.message : String(e);
      error = new HeapDumpError(`cannot read the dump: ${msg}`, win.offset, null);
    } else error = e;
  }
  onProgress(win.fractionRead());
  return {
    format,
    idSize,
    headerBytes,
    strings,
    loadClassNames,
    classes,
    classIndex,
    ids: idsA.subarray(0, count),
    cls: clsA.subarray(0, count),
    aux: auxA.subarray(0, count),
    idsCap: idsA,
    clsAuxCap: new Float64Array(clsA.buffer, clsA.byteOffset, cap),
    count,
    roots: roots.trimmed(),
    marks: marks.trimmed(),
    segments,
    compressedByArrays: compressed,
    hashOrd: hashOrd.trimmed(),
    hashVal: hashVal.trimmed(),
    hashVal2: hashVal2.trimmed(),
    hashCaps: [hashOrd.data, hashVal.data, hashVal2.data],
    heapOptions,
    warnings,
    error,
    endOffset: win.offset,
  };
}
