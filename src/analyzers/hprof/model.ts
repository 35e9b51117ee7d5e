/** HPROF constants and the class model shared by the passes. */

export const TAG = {
  UTF8: 0x01,
  LOAD_CLASS: 0x02,
  FRAME: 0x04,
  TRACE: 0x05,
  HEAP_DUMP: 0x0c,
  HEAP_DUMP_SEGMENT: 0x1c,
  HEAP_DUMP_END: 0x2c,
} as const;

/** Top-level tags written by HotSpot or the old JVMTI hprof agent; anything else is skipped with a warning. */
export const KNOWN_TOP_TAGS = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x1c, 0x2c]);

export const SUB = {
  CLASS_DUMP: 0x20,
  INSTANCE_DUMP: 0x21,
  OBJ_ARRAY_DUMP: 0x22,
  PRIM_ARRAY_DUMP: 0x23,
  PRIM_ARRAY_NODATA: 0xc3, // Android
  HEAP_DUMP_INFO: 0xfe, // Android
} as const;

/** Basic type code → bytes in the file (refs are idSize, marked 0 here). */
export const TYPE_SIZE: number[] = [-1, 0, 0, -1, 1, 2, 4, 8, 1, 2, 4, 8];
export const PRIM_NAMES: Record<number, string> = { 4: 'boolean', 5: 'char', 6: 'float', 7: 'double', 8: 'byte', 9: 'short', 10: 'int', 11: 'long' };
export const PRIM_SIG: Record<number, string> = { 4: 'Z', 5: 'C', 6: 'F', 7: 'D', 8: 'B', 9: 'S', 10: 'I', 11: 'J' };

export const KIND_INSTANCE = 0;
export const KIND_OBJ_ARRAY = 1;
export const KIND_PRIM_ARRAY = 2;

export interface ClassInfo {
  idx: number;
  /** Class object id; 0 for a synthetic primitive-array class the dump has no class object for. */
  objId: number;
  name: string;
  hasDump: boolean;
  kind: number;
  elemType: number;
  superId: number;
  loaderId: number;
  signersId: number;
  pdId: number;
  /** Static fields: name string ids, type codes and (for refs) the referenced id; other values are not kept. */
  staticNames: number[];
  staticTypes: number[];
  staticRefs: number[];
  /** Own instance fields in CLASS_DUMP order. */
  fieldNames: number[];
  fieldTypes: number[];
  /** Instance payload bytes seen for a class without a CLASS_DUMP (fake class, as MAT creates). */
  seenBytes: number;
  // Computed after the first pass.
  superIdx: number;
  /** Byte offsets of reference fields in an instance record's value block, whole superclass chain. */
  refOffsets: Int32Array;
  /** Offset of `java.lang.ref.Reference.referent` for Reference subclasses, else -1. */
  referentOffset: number;
  instanceShallow: number;
}

export function newClass(idx: number, objId: number): ClassInfo {
  return {
    idx,
    objId,
    name: '',
    hasDump: false,
    kind: KIND_INSTANCE,
    elemType: 0,
    superId: 0,
    loaderId: 0,
    signersId: 0,
    pdId: 0,
    staticNames: [],
    staticTypes: [],
    staticRefs: [],
    fieldNames: [],
    fieldTypes: [],
    seenBytes: -1,
    superIdx: -1,
    refOffsets: new Int32Array(0),
    referentOffset: -1,
    instanceShallow: 0,
  };
}

/**
 * Internal (`java/util/HashMap$Node`, `[B`, `[[Ljava/lang/Object;`) → Java form (`java.util.HashMap$Node`, `byte[]`,
 * `java.lang.Object[][]`). Hidden classes print `+0x…` in HPROF and `/0x…` in Class.getName() and jmap; we use the
 * latter.
 */
export function javaClassName(internal: string): string {
  let dims = 0;
  while (internal[dims] === '[') dims++;
  let base = internal.slice(dims);
  if (dims > 0) {
    if (base.startsWith('L') && base.endsWith(';')) base = base.slice(1, -1);
    else {
      const code = Object.entries(PRIM_SIG).find(([, s]) => s === base);
      if (code) base = PRIM_NAMES[Number(code[0])];
    }
  }
  base = base.replace(/\//g, '.').replace(/\+0x/g, '/0x');
  return base + '[]'.repeat(dims);
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Object layout parameters detected from the dump, as Eclipse MAT models them. */
export interface Layout {
  idSize: number;
  /** Mark word size. */
  pointerSize: number;
  /** Reference size in the heap: 4 with compressed oops. */
  refSize: number;
  align: number;
}

/**
 * An array's shallow size is alignUp(base + length × element size, align): its base (header, length field and, for
 * primitive arrays, padding to a reference) and element size. `elemType` −1 is an object array.
 */
export function arrayBase(L: Layout, elemType: number): number {
  return elemType < 0 ? L.pointerSize + L.refSize + 4 : alignUp(L.pointerSize + L.refSize + 4, L.refSize);
}

export function arrayElemSize(L: Layout, elemType: number): number {
  return elemType < 0 ? L.refSize : TYPE_SIZE[elemType];
}

export function objArrayShallow(L: Layout, length: number): number {
  return alignUp(arrayBase(L, -1) + length * arrayElemSize(L, -1), L.align);
}

export function primArrayShallow(L: Layout, elemType: number, length: number): number {
  return alignUp(arrayBase(L, elemType) + length * arrayElemSize(L, elemType), L.align);
}

export function hexId(id: number): string {
  return `0x${id.toString(16)}`;
}
