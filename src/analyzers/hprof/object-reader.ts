import { ByteWindow } from './byte-window.js';
import { SUB, TYPE_SIZE } from './model.js';
import { MARK_EVERY, type Segment } from './pass1.js';

const ROOT_EXTRA: Record<number, number> = {
  0xff: 0, 0x01: -1, 0x02: 8, 0x03: 8, 0x04: 4, 0x05: 0, 0x06: 4, 0x07: 0, 0x08: 8,
  0x89: 0, 0x8a: 0, 0x8b: 0, 0x8c: 0, 0x8d: 0, 0x8e: 8, 0x90: 0,
};

/**
 * Copies of the records of a few objects (by dump ordinal), to name fields on GC-root paths and read string values.
 * Only the segments that hold them are read (for gzip, the stream is inflated up to the last one). Records bigger
 * than `maxRecord` are cut (a path step needs only the element that matches).
 */
export async function readObjects(path: string, idSize: number, segments: Segment[], ords: number[], maxRecord = 1 << 24, marks?: Float64Array): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  if (ords.length === 0) return out;
  const want = [...new Set(ords)].sort((a, b) => a - b);
  const I = idSize;
  const win = ByteWindow.open(path);
  try {
    let wi = 0;
    for (const seg of segments) {
      if (wi >= want.length) break;
      if (want[wi] >= seg.firstOrd + seg.objects) continue;
      while (wi < want.length && want[wi] < seg.firstOrd) wi++;
      if (wi >= want.length || want[wi] >= seg.firstOrd + seg.objects) continue;
      const endAbs = seg.start + seg.length;
      let ord = seg.firstOrd;
      let at = seg.start;
      const jump = (): void => {
        // Start from the last seek mark at or before the next wanted object, if it lies inside this segment.
        if (!marks || marks.length === 0) return;
        const target = want[wi];
        let lo = 0;
        let hi = marks.length / 2 - 1;
        if (marks[0] > target) return;
        while (lo < hi) {
          const m = (lo + hi + 1) >>> 1;
          if (marks[2 * m] <= target) lo = m;
          else hi = m - 1;
        }
        const mo = marks[2 * lo];
        const off = marks[2 * lo + 1];
        if (mo > ord && off >= seg.start && off < endAbs) {
          ord = mo;
          at = off;
        }
      };
      jump();
      await win.seek(at);
      while (win.offset < endAbs && wi < want.length && want[wi] < seg.firstOrd + seg.objects) {
        if (marks && want[wi] - ord > 2 * MARK_EVERY) {
          const before = ord;
          jump();
          if (ord !== before) await win.seek(at);
        }
        if (!(await win.fill(Math.min(1 + 2 * I + 9, endAbs - win.offset)))) return out;
        const b = win.buf;
        const p = win.pos;
        const tag = b[p];
        let len: number;
        let isObj = true;
        if (tag === SUB.INSTANCE_DUMP) len = 1 + 2 * I + 8 + b.readUInt32BE(p + 1 + 2 * I + 4);
        else if (tag === SUB.OBJ_ARRAY_DUMP) len = 1 + 2 * I + 8 + b.readUInt32BE(p + 1 + I + 4) * I;
        else if (tag === SUB.PRIM_ARRAY_DUMP) len = 1 + I + 9 + b.readUInt32BE(p + 1 + I + 4) * TYPE_SIZE[b[p + 1 + I + 8]];
        else if (tag === SUB.PRIM_ARRAY_NODATA) len = 1 + I + 9;
        else if (tag === SUB.CLASS_DUMP) {
          len = await classDumpLength(win, I, endAbs);
        } else if (tag === SUB.HEAP_DUMP_INFO) {
          len = 1 + 4 + I;
          isObj = false;
        } else {
          const extra = ROOT_EXTRA[tag];
          if (extra === undefined) break;
          len = 1 + I + (extra < 0 ? I : extra);
          isObj = false;
        }
        if (isObj && ord === want[wi]) {
          const keep = Math.min(len, maxRecord);
          if (!(await win.fill(keep))) return out;
          out.set(ord, Buffer.from(win.buf.subarray(win.pos, win.pos + keep)));
          wi++;
        }
        if (isObj) ord++;
        if (!(await win.skip(len))) return out;
      }
    }
  } finally {
    win.close();
  }
  return out;
}

async function classDumpLength(win: ByteWindow, I: number, endAbs: number): Promise<number> {
  // Grow the request until the whole variable-length record is in the window.
  let want = 4096;
  for (;;) {
    const avail = Math.min(want, endAbs - win.offset);
    await win.fill(avail);
    const b = win.buf;
    const lim = win.pos + Math.min(win.avail, avail);
    const p0 = win.pos + 1;
    let q = p0 + 7 * I + 8;
    let ok = q + 2 <= lim;
    if (ok) {
      const cp = b.readUInt16BE(q);
      q += 2;
      for (let k = 0; k < cp && ok; k++) {
        if (q + 3 > lim) ok = false;
        else q += 3 + (b[q + 2] === 2 ? I : TYPE_SIZE[b[q + 2]]);
      }
    }
    if (ok && q + 2 <= lim) {
      const ns = b.readUInt16BE(q);
      q += 2;
      for (let k = 0; k < ns && ok; k++) {
        if (q + I + 1 > lim) ok = false;
        else q += I + 1 + (b[q + I] === 2 ? I : TYPE_SIZE[b[q + I]]);
      }
    } else ok = false;
    if (ok && q + 2 <= lim) {
      const nf = b.readUInt16BE(q);
      q += 2 + nf * (I + 1);
      if (q <= lim) return q - win.pos;
    }
    if (avail >= endAbs - win.offset) return endAbs - win.offset;
    want *= 4;
  }
}
