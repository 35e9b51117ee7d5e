import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * A deliberately simple, independent HPROF reader for tests: whole file in memory, BigInt ids, Maps, no streaming,
 * no sorting tricks. Retained sizes come from the definition (what becomes unreachable from the GC roots when
 * objects are removed), not from a dominator algorithm, so it checks the analyzer rather than repeating it.
 */
export interface RefObject {
  classId: bigint;
  shallow: number;
  refs: bigint[];
  isClass: boolean;
}

export interface ReferenceHeap {
  objects: Map<bigint, RefObject>;
  roots: Set<bigint>;
  classNames: Map<bigint, string>;
  /** Java-form class name of each object (class objects are `java.lang.Class`). */
  classNameOf(id: bigint): string;
  /** Shallow bytes of everything that becomes unreachable when `removed` are taken out of the graph. */
  retainedBy(removed: Set<bigint>): number;
}

const SIZES: Record<number, number> = { 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8 };
const PRIM: Record<string, string> = { Z: 'boolean', C: 'char', F: 'float', D: 'double', B: 'byte', S: 'short', I: 'int', J: 'long' };
const PRIM_CODE: Record<number, string> = { 4: 'Z', 5: 'C', 6: 'F', 7: 'D', 8: 'B', 9: 'S', 10: 'I', 11: 'J' };

export function javaName(internal: string): string {
  let d = 0;
  while (internal[d] === '[') d++;
  let b = internal.slice(d);
  if (d > 0) b = b.startsWith('L') ? b.slice(1, -1) : PRIM[b] ?? b;
  return b.replace(/\//g, '.').replace(/\+0x/, '/0x') + '[]'.repeat(d);
}

export function readReferenceHeap(path: string, opts: { compressedRefs: boolean; align?: number }): ReferenceHeap {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  let p = buf.indexOf(0) + 1;
  const I = buf.readUInt32BE(p);
  p += 12;
  const id = (q: number): bigint => (I === 8 ? buf.readBigUInt64BE(q) : BigInt(buf.readUInt32BE(q)));
  const strings = new Map<bigint, string>();
  const classNames = new Map<bigint, string>();
  const byName = new Map<string, bigint>();
  interface Cls { superId: bigint; others: bigint[]; fields: Array<[number, string]>; staticBytes: number }
  const classes = new Map<bigint, Cls>();
  const raw: Array<{ kind: 'inst' | 'obj' | 'prim' | 'class'; id: bigint; cls: bigint; at: number; len: number; elem?: number }> = [];
  const roots = new Set<bigint>();
  const refSize = opts.compressedRefs ? 4 : I;
  const align = opts.align ?? 8;
  const up = (n: number, a: number): number => Math.ceil(n / a) * a;
  const tsize = (t: number): number => (t === 2 ? I : SIZES[t]);

  while (p + 9 <= buf.length) {
    const tag = buf[p];
    const len = buf.readUInt32BE(p + 5);
    const body = p + 9;
    if (tag === 0x01) strings.set(id(body), buf.toString('utf8', body + I, body + len));
    else if (tag === 0x02) {
      const cid = id(body + 4);
      const nm = strings.get(id(body + 8 + I)) ?? '?';
      classNames.set(cid, javaName(nm));
      byName.set(nm, cid);
    } else if (tag === 0x0c || tag === 0x1c) {
      let q = body;
      while (q < body + len) {
        const t = buf[q++];
        if (t === 0x20) {
          const cid = id(q);
          const superId = id(q + I + 4);
          const others = [id(q + 2 * I + 4), id(q + 3 * I + 4), id(q + 4 * I + 4)];
          q += 7 * I + 8;
          const cp = buf.readUInt16BE(q);
          q += 2;
          for (let k = 0; k < cp; k++) q += 3 + tsize(buf[q + 2]);
          const ns = buf.readUInt16BE(q);
          q += 2;
          let staticBytes = 0;
          for (let k = 0; k < ns; k++) {
            const ty = buf[q + I];
            if (ty === 2) others.push(id(q + I + 1));
            staticBytes += ty === 2 ? refSize : SIZES[ty];
            q += I + 1 + tsize(ty);
          }
          const nf = buf.readUInt16BE(q);
          q += 2;
          const fields: Array<[number, string]> = [];
          for (let k = 0; k < nf; k++) {
            fields.push([buf[q + I], strings.get(id(q)) ?? '?']);
            q += I + 1;
          }
          classes.set(cid, { superId, others, fields, staticBytes });
          raw.push({ kind: 'class', id: cid, cls: cid, at: 0, len: 0 });
        } else if (t === 0x21) {
          const n = buf.readUInt32BE(q + 2 * I + 4);
          raw.push({ kind: 'inst', id: id(q), cls: id(q + I + 4), at: q + 2 * I + 8, len: n });
          q += 2 * I + 8 + n;
        } else if (t === 0x22) {
          const n = buf.readUInt32BE(q + I + 4);
          raw.push({ kind: 'obj', id: id(q), cls: id(q + I + 8), at: q + 2 * I + 8, len: n });
          q += 2 * I + 8 + n * I;
        } else if (t === 0x23) {
          const n = buf.readUInt32BE(q + I + 4);
          const e = buf[q + I + 8];
          raw.push({ kind: 'prim', id: id(q), cls: byName.get('[' + PRIM_CODE[e]) ?? 0n, at: 0, len: n, elem: e });
          q += I + 9 + n * SIZES[e];
        } else {
          const extra: Record<number, number> = { 0xff: 0, 0x01: I, 0x02: 8, 0x03: 8, 0x04: 4, 0x05: 0, 0x06: 4, 0x07: 0, 0x08: 8 };
          if (extra[t] === undefined) throw new Error(`reference reader: sub-record 0x${t.toString(16)}`);
          roots.add(id(q));
          q += I + extra[t];
        }
      }
    }
    p = body + len;
  }

  const header = I + refSize;
  const instSize = (cid: bigint): number => {
    // MAT: S(Object) = header, S(C) = alignUp(S(super) + own fields, refSize), then aligned to the object alignment.
    const chain: Cls[] = [];
    for (let c = classes.get(cid); c; c = classes.get(c.superId)) chain.push(c);
    let s = header;
    for (let i = chain.length - 2; i >= 0; i--) s = up(s + chain[i].fields.reduce((a, [t]) => a + (t === 2 ? refSize : SIZES[t]), 0), refSize);
    return up(s, align);
  };
  const jlc = byName.get('java/lang/Class') ?? 0n;
  const objects = new Map<bigint, RefObject>();
  for (const o of raw) {
    if (o.kind === 'class') {
      const c = classes.get(o.id)!;
      const refs = [o.id === 0n ? 0n : jlc, c.superId, ...c.others].filter((x) => x !== 0n);
      objects.set(o.id, { classId: jlc, shallow: up(instSize(jlc) + c.staticBytes, align), refs, isClass: true });
    } else if (o.kind === 'inst') {
      const refs: bigint[] = [o.cls];
      let q = o.at;
      for (let c = classes.get(o.cls); c; c = classes.get(c.superId)) {
        for (const [t] of c.fields) {
          if (t === 2) {
            const v = id(q);
            if (v !== 0n) refs.push(v);
          }
          q += tsize(t);
        }
      }
      objects.set(o.id, { classId: o.cls, shallow: instSize(o.cls), refs, isClass: false });
    } else if (o.kind === 'obj') {
      const refs: bigint[] = [o.cls];
      for (let k = 0; k < o.len; k++) {
        const v = id(o.at + k * I);
        if (v !== 0n) refs.push(v);
      }
      objects.set(o.id, { classId: o.cls, shallow: up(header + 4 + o.len * refSize, align), refs, isClass: false });
    } else {
      objects.set(o.id, { classId: o.cls, shallow: up(up(header + 4, refSize) + o.len * SIZES[o.elem!], align), refs: o.cls ? [o.cls] : [], isClass: false });
    }
  }
  const reach = (removed: Set<bigint>): number => {
    const seen = new Set<bigint>();
    const stack: bigint[] = [];
    let bytes = 0;
    for (const r of roots) if (objects.has(r) && !removed.has(r)) stack.push(r);
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      const o = objects.get(v)!;
      bytes += o.shallow;
      for (const w of o.refs) if (!seen.has(w) && !removed.has(w) && objects.has(w)) stack.push(w);
    }
    return bytes;
  };
  const all = reach(new Set());
  return {
    objects,
    roots,
    classNames,
    classNameOf: (x) => {
      const o = objects.get(x)!;
      return o.isClass ? 'java.lang.Class' : o.classId === 0n ? '?' : (classNames.get(o.classId) ?? '?');
    },
    retainedBy: (removed) => all - reach(removed),
  };
}
