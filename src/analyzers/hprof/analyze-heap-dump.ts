import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ByteWindow } from './byte-window.js';
import { classRetained, computeDominators, computeRetained, dominatorChildren, shortestPathParents, type ObjectGraph } from './dominators.js';
import { runEdgePass, type EdgeClass, type EdgeResult, type EdgeTask } from './edge-pass.js';
import { runEdgePassInWorkers } from './edge-workers.js';
import { buildIdIndex, idAt, lookupId, radixOrder } from './id-index.js';
import { KIND_INSTANCE, KIND_OBJ_ARRAY, KIND_PRIM_ARRAY, PRIM_NAMES, TYPE_SIZE, alignUp, arrayBase, arrayElemSize, hexId, javaClassName, objArrayShallow, primArrayShallow, type ClassInfo, type Layout } from './model.js';
import { maskRecord, maskText } from '../../core/secrets.js';
import { readObjects } from './object-reader.js';
import { runPass1, type Pass1Result } from './pass1.js';
import { BufferPool, arenaBytesFor } from './pool.js';
import {
  HeapDumpError,
  type AccumulationPoint,
  type AnalyzeHeapOptions,
  type BiggestObject,
  type DuplicateString,
  type EmptyCollections,
  type HeapReport,
  type HistogramRow,
  type JvmSettings,
  type LargeArray,
  type LeakSuspect,
  type PartialHeapResult,
  type PathStep,
} from './types.js';

/** MAT's Leak Suspects threshold: one object or one class's root-dominated instances retaining this share. */
const SUSPECT_SHARE = 0.1;
/** MAT's big_drop_ratio: descend to the biggest dominated child while it keeps this share of its parent. */
const BIG_DROP_RATIO = 0.7;
const TOP_OBJECTS = 20;

/** Collections whose emptiness we check: declaring class, int size field, backing array field. */
const COLLECTIONS: Array<[string, string, string | null]> = [
  ['java.util.HashMap', 'size', 'table'],
  ['java.util.ArrayList', 'size', 'elementData'],
  ['java.util.Hashtable', 'count', 'table'],
  ['java.util.Vector', 'elementCount', 'elementData'],
  ['java.util.WeakHashMap', 'size', 'table'],
  ['java.util.IdentityHashMap', 'size', 'table'],
  ['java.util.TreeMap', 'size', null],
  ['java.util.LinkedList', 'size', null],
];

/**
 * Analyze an HPROF heap dump (plain or gzip) in two streaming passes: a class histogram with MAT's shallow-size
 * model, the dominator tree, retained sizes, leak suspects, biggest objects with their GC-root paths, duplicate
 * strings, empty collections and the JVM's settings. Throws {@link HeapDumpError} for truncated or corrupt input.
 */
export async function analyzeHeapDump(path: string, opts: AnalyzeHeapOptions = {}): Promise<HeapReport> {
  const t0 = performance.now();
  const seconds: Record<string, number> = {};
  let tPass = t0;
  let cpuPass = opts.onPass ? process.cpuUsage() : null;
  const lap = (name: string): void => {
    const now = performance.now();
    seconds[name] = Math.round(now - tPass) / 1000;
    if (opts.onPass && cpuPass) {
      const c = process.cpuUsage(cpuPass);
      opts.onPass(name, seconds[name], (c.user + c.system) / 1e6, pool.freshBytes);
      cpuPass = process.cpuUsage();
    }
    tPass = now;
  };
  const report = opts.onProgress ?? ((): void => undefined);
  let lastReported = -1;
  const progress = (f: number): void => {
    const v = Math.min(1, Math.max(0, f));
    if (v - lastReported >= 0.005 || v === 1) {
      lastReported = v;
      report(v);
    }
  };

  let fileSize: number;
  try {
    fileSize = statSync(path).size;
  } catch (e) {
    throw new HeapDumpError(`cannot open ${path}: ${(e as Error).message}`, 0, null);
  }
  const win = ByteWindow.open(path);
  const gzip = win.gzip;
  // Pass 1 reads the whole file, the edge pass only the heap segments: weight them ~45/45, the graph work 10.
  let p1: Pass1Result;
  // Every per-object array comes from here and goes back when its pass is done (see pool.ts).
  // The live set peaks near 0.9× the (uncompressed) dump; gzip dumps are ~4× smaller than their contents.
  const pool = new BufferPool({ arenaBytes: arenaBytesFor(fileSize * (gzip ? 4 : 1)) });
  try {
    p1 = await runPass1(win, (f) => progress(f * 0.45), pool);
  } finally {
    win.close();
  }
  lap('pass1');
  const warnings = [...p1.warnings];
  const classes = p1.classes;
  resolveClassNames(p1);
  const jlc = classIndexByName(classes, 'java.lang.Class') ?? addSynthetic(classes, 'java.lang.Class');
  const idSize = p1.idSize;
  const layoutGuess: Layout = { idSize, pointerSize: idSize, refSize: p1.compressedByArrays ? 4 : idSize, align: 8 };

  if (p1.error) {
    const e = p1.error;
    throw new HeapDumpError(`${e.message} (at byte ${e.offset}${gzip ? ' of the uncompressed stream' : ''})`, e.offset, partialHistogram(p1, jlc, layoutGuess));
  }

  // Object index = rank of the address.
  const threads = Math.max(1, Math.min(opts.threads ?? (gzip || fileSize < 64 << 20 ? 1 : Math.min(2, availableParallelism())), 8));
  const parallel = threads > 1 && !gzip && p1.segments.length > 1;
  const n = p1.count;
  const built = buildIdIndex(p1.ids, pool, () => {
    // free: ranks and sorted keys replace it
    pool.give(p1.idsCap);
    (p1 as { ids: Float64Array | null }).ids = null;
    (p1 as { idsCap: Float64Array | null }).idsCap = null;
  });
  const { index } = built;
  // rank → ordinal, read only for the few records the reports fetch: as runs when ranks follow the dump order in
  // long stretches (HotSpot writes the heap in address order, after the class mirrors), so its 4 bytes per object
  // are free before the layout arrays and the dominators (the peak) are allocated.
  const ordOfRank = compactOrdOfRank(built.ordOfRank, pool);
  built.ordOfRank = new Uint32Array(0);
  let rankOfOrd: Uint32Array | null = built.rankOfOrd;
  built.rankOfOrd = new Uint32Array(0);
  const L: Layout = { ...layoutGuess, align: built.alignment };
  computeLayouts(classes, idSize, L, jlc, p1);
  lap('index');

  // Per node (rank order): class, shallow size, edge upper bound.
  const cls = pool.i32(n, false);
  const shallow = pool.u32(n, false);
  const starts = pool.u32(n + 1, false);
  starts[0] = 0;
  const classNodeOf = new Int32Array(classes.length).fill(-1);
  const classOfNode = new Map<number, number>();
  const instances = new Float64Array(classes.length);
  const shallowByClass = new Float64Array(classes.length);
  const largePrim: Array<{ r: number; len: number; bytes: number }> = [];
  let largeMin = 0;
  // Per class, as typed arrays for the loop over every object: 0 instance (fixed size and reference count), 1 object
  // array, 2 primitive array (size as objArrayShallow/primArrayShallow compute it).
  const nc = classes.length;
  const kindOf = new Uint8Array(nc);
  const fixed = new Float64Array(nc);
  const refsOf = new Uint32Array(nc);
  const elem = new Float64Array(nc);
  for (let c = 0; c < nc; c++) {
    const k = classes[c];
    if (k.kind === KIND_PRIM_ARRAY || k.kind === KIND_OBJ_ARRAY) {
      const t = k.kind === KIND_PRIM_ARRAY ? k.elemType : -1;
      kindOf[c] = t < 0 ? 1 : 2;
      fixed[c] = arrayBase(L, t);
      elem[c] = arrayElemSize(L, t);
    } else {
      fixed[c] = k.instanceShallow;
      refsOf[c] = k.refOffsets.length;
    }
  }
  const align = L.align;
  const pcls = p1.cls;
  const paux = p1.aux;
  for (let o = 0; o < n; o++) {
    const r = rankOfOrd[o];
    const c = pcls[o];
    let ci: number;
    let sz: number;
    let ub: number;
    if (c >= 0) {
      ci = c;
      const kind = kindOf[c];
      if (kind === 0) {
        sz = fixed[c];
        ub = refsOf[c];
      } else {
        const a = paux[o];
        sz = Math.ceil((fixed[c] + a * elem[c]) / align) * align;
        if (kind === 1) ub = a;
        else {
          ub = 0;
          if (sz > largeMin || largePrim.length < 10) {
            largePrim.push({ r, len: a, bytes: sz });
            if (largePrim.length > 20) {
              largePrim.sort((x, y) => y.bytes - x.bytes);
              largePrim.length = 10;
              largeMin = largePrim[9].bytes;
            }
          }
        }
      }
    } else {
      const a = paux[o];
      // A CLASS_DUMP is a java.lang.Class instance (MAT counts it so). This is why our java.lang.Class count differs
      // from `jmap -histo:live`: HotSpot writes a CLASS_DUMP only for loaded instance and array classes it walks
      // (plus the 9 primitive mirrors as plain instances), while jmap counts every mirror in the heap, including
      // those of classes the dumper skips; the dump's dangling references point at exactly those mirrors.
      ci = jlc;
      classNodeOf[a] = r;
      classOfNode.set(r, a);
      sz = classes[a].instanceShallow >= 0 ? classShallow(classes[a], classes[jlc], L) : 0;
      ub = 4 + classes[a].staticRefs.length;
    }
    cls[r] = ci;
    shallow[r] = sz;
    starts[r + 1] = ub;
    instances[ci]++;
    shallowByClass[ci] += sz;
  }
  let total = 0;
  for (let r = 0; r < n; r++) {
    total += starts[r + 1];
    if (total > 0xfffffff0) throw new HeapDumpError('dump has more than 4 billion references: too large for this analyzer', 0, partialHistogram(p1, jlc, L));
    starts[r + 1] = total;
  }
  let heapBytes = 0;
  for (let c = 0; c < classes.length; c++) heapBytes += shallowByClass[c];
  // Retained sizes are counted in units of the largest power of two up to 8 dividing the alignment (8 on every
  // HotSpot we know; a detected alignment of 12 would give 4): every shallow size is a multiple of it.
  const RETAINED_UNIT = L.align % 8 === 0 ? 8 : L.align % 4 === 0 ? 4 : L.align % 2 === 0 ? 2 : 1;
  if (heapBytes / RETAINED_UNIT >= 0xffffffff) {
    throw new HeapDumpError(`the dump holds ${(heapBytes / 2 ** 30).toFixed(0)} GiB of objects: retained sizes are counted for heaps under ${4 * RETAINED_UNIT} GiB; the histogram below is complete`, 0, partialHistogram(p1, jlc, L));
  }
  // String value hashes, by rank, for duplicate detection after the graph is built.
  // (Lengths first, then the ordinals become ranks in place: no fresh array for the ranks.)
  let hashLen = pool.u32(p1.hashOrd.length, false);
  for (let i = 0; i < hashLen.length; i++) hashLen[i] = p1.aux[p1.hashOrd[i]];
  let hashRank = p1.hashOrd;
  for (let i = 0; i < hashRank.length; i++) hashRank[i] = rankOfOrd[hashRank[i]];
  pool.give(p1.clsAuxCap);
  (p1 as { cls: Int32Array | null }).cls = null;
  (p1 as { aux: Uint32Array | null }).aux = null;
  (p1 as { clsAuxCap: Float64Array | null }).clsAuxCap = null;

  // GC roots: distinct objects present in the dump.
  const rootSet = pool.u8(n);
  const rootList: number[] = [];
  for (let i = 0; i < p1.roots.length; i++) {
    const r = lookupId(index, p1.roots[i]);
    if (r >= 0 && rootSet[r] === 0) {
      rootSet[r] = 1;
      rootList.push(r);
    }
  }
  const roots = Uint32Array.from(rootList);
  pool.give(rootSet);
  lap('layout');

  // Pass 2: edges.
  const edges = pool.u32(total, false).fill(0xffffffff);
  const weak = pool.i32((n >>> 5) + 1);
  for (const [r, ci] of classOfNode) {
    const c = classes[ci];
    let w = starts[r];
    for (const id of [c.superId, c.loaderId, c.signersId, c.pdId, ...c.staticRefs]) {
      if (id === 0) continue;
      const x = lookupId(index, id);
      if (x >= 0) edges[w++] = x;
    }
  }
  const edgeClasses: EdgeClass[] = classes.map((c) => edgeClassOf(c, classes, p1));
  const task: EdgeTask = { path, idSize, segments: p1.segments, index, rankOfOrd, cls, starts, edges, weak, classes: edgeClasses };
  const segBytes = p1.segments.reduce((s, g) => s + g.length, 0) || 1;
  let doneBytes = 0;
  const onBytes = (k: number): void => {
    doneBytes += k;
    progress(0.45 + (0.45 * doneBytes) / segBytes);
  };
  let er: EdgeResult;
  try {
    er = parallel ? await runEdgePassInWorkers(task, threads, onBytes) : await runEdgePass(task, onBytes);
  } catch (e) {
    throw new HeapDumpError(`cannot read the dump in the reference pass: ${(e as Error).message}`, 0, partialHistogram2(classes, instances, shallowByClass, n, idSize));
  }
  // ordinal → rank is dead after the edge pass: back to the pool for the dominators.
  pool.give(rankOfOrd);
  rankOfOrd = null;
  task.rankOfOrd = new Uint32Array(0);
  if (er.dangling > 0) warnings.push(`${er.dangling} references point to objects that are not in the dump (normal for HotSpot: class mirrors it does not dump)`);
  lap('pass2');

  // Compact the CSR in place (slots past each object's real edges hold 0xFFFFFFFF).
  let w = 0;
  let from = 0;
  for (let r = 0; r < n; r++) {
    const e = starts[r + 1];
    starts[r] = w;
    for (let k = from; k < e; k++) {
      const x = edges[k];
      if (x !== 0xffffffff) edges[w++] = x;
    }
    from = e;
  }
  starts[n] = w;
  const tailFreed = total - w >= 1024;
  if (tailFreed) pool.give(edges.subarray(w));
  const graph: ObjectGraph = { n, starts, edges: edges.subarray(0, w), classNode: classNodeOf, cls, roots, weak };
  lap('csr');

  // Everything that reads the reference graph runs before the dominators, so that the CSR arrays can go back to the
  // pool once the dominator pass has built its predecessor lists (the peak of memory, hence of page faults).
  const bfs = shortestPathParents(graph, pool);
  pool.give(weak);
  lap('paths');
  const strCtx: StrCtx = { path, idSize, segments: p1.segments, ordOfRank, index, classes, cls, p1Strings: p1.strings, marks: p1.marks };
  const duplicateStrings = await findDuplicateStrings(strCtx, graph, shallow, hashRank, p1.hashVal, p1.hashVal2, hashLen, pool);
  // The string hashes (16 bytes per small byte[]/char[]) are dead: drop them before the dominators' peak.
  pool.give(hashLen, ...p1.hashCaps);
  hashLen = hashRank = p1.hashOrd = p1.hashVal = p1.hashVal2 = new Uint32Array(0);
  p1.hashCaps = [];
  lap('strings');

  const dom = computeDominators(graph, pool, () => {
    pool.give(tailFreed ? edges.subarray(0, w) : edges, starts);
    graph.starts = new Uint32Array(0);
    graph.edges = new Uint32Array(0);
  });
  lap('dominators');
  // Retained sizes in RETAINED_UNIT units: four bytes per object instead of a Float64Array's eight.
  const retained = computeRetained(n, dom, shallow, RETAINED_UNIT, pool);
  const ret = (v: number): number => retained[v] * RETAINED_UNIT;
  pool.give(dom.vertex, dom.pruned);
  const kids = dominatorChildren(n, dom.idom, pool);
  const retainedByClass = classRetained(n, classes.length, cls, retained, kids, RETAINED_UNIT);
  lap('retained');

  // ---- reports ----
  const reachableBytes = ret(n);
  let unreachableObjects = 0;
  let unreachableBytes = 0;
  for (let v = 0; v < n; v++) {
    if (dom.idom[v] < 0) {
      unreachableObjects++;
      unreachableBytes += shallow[v];
    }
  }
  const displayName = (v: number): string => {
    const ci = classOfNode.get(v);
    return ci !== undefined ? `class ${classes[ci].name}` : classes[cls[v]].name;
  };
  const childrenSorted = (v: number): number[] => {
    const out: number[] = [];
    for (let k = kids.start[v]; k < kids.start[v + 1]; k++) out.push(kids.child[k]);
    return out.sort((a, b) => retained[b] - retained[a]);
  };
  const top = childrenSorted(n);
  const biggestNodes = top.slice(0, TOP_OBJECTS);

  const accumulation = (v: number): number => {
    let cur = v;
    for (let depth = 0; depth < 1000; depth++) {
      let best = -1;
      for (let k = kids.start[cur]; k < kids.start[cur + 1]; k++) {
        const c = kids.child[k];
        if (best < 0 || retained[c] > retained[best]) best = c;
      }
      if (best < 0 || retained[best] / retained[cur] < BIG_DROP_RATIO) break;
      cur = best;
    }
    return cur;
  };
  const threshold = SUSPECT_SHARE * reachableBytes;
  const suspectNodes: Array<{ kind: 'object' | 'class'; node: number; ci: number; instances: number; retained: number }> = [];
  const groupSum = new Map<number, { sum: number; count: number; biggest: number }>();
  for (const v of top) {
    if (ret(v) >= threshold && reachableBytes > 0) suspectNodes.push({ kind: 'object', node: v, ci: cls[v], instances: 1, retained: ret(v) });
    else {
      const g = groupSum.get(cls[v]) ?? { sum: 0, count: 0, biggest: v };
      g.sum += ret(v);
      g.count++;
      if (retained[v] > retained[g.biggest]) g.biggest = v;
      groupSum.set(cls[v], g);
    }
  }
  for (const [ci, g] of groupSum) {
    if (g.sum >= threshold && g.count > 1 && reachableBytes > 0) suspectNodes.push({ kind: 'class', node: g.biggest, ci, instances: g.count, retained: g.sum });
  }
  suspectNodes.sort((a, b) => b.retained - a.retained);
  const accNodes = suspectNodes.map((s) => accumulation(s.node));

  // Paths to GC roots, with field names read back from the dump.
  const pathNodes = (v: number): number[] => {
    const out: number[] = [];
    let cur = v;
    while (bfs[cur] >= 0 && out.length < 1_000_000) {
      out.push(bfs[cur]);
      cur = bfs[cur];
    }
    return out;
  };
  const pathTargets = [...biggestNodes, ...suspectNodes.map((s) => s.node), ...accNodes];
  const paths = new Map<number, number[]>();
  for (const v of pathTargets) if (!paths.has(v)) paths.set(v, elide(pathNodes(v)));
  const needRecords = new Set<number>();
  for (const [, p] of paths) for (const x of p) if (x >= 0 && !classOfNode.has(x)) needRecords.add(ordOfRank.at(x));
  const records = await readObjects(path, idSize, p1.segments, [...needRecords], 1 << 22, p1.marks);
  const fieldCtx = { classes, p1, idSize, index, classOfNode, cls, classNodeOf };
  const stepsFor = (v: number): PathStep[] => {
    const p = paths.get(v) ?? [];
    const steps: PathStep[] = [];
    let child = v;
    for (const x of p) {
      if (x < 0) {
        steps.push({ className: '…', field: `${-x} steps omitted` });
        child = -1;
        continue;
      }
      steps.push({ className: displayName(x), field: child < 0 ? '?' : fieldName(fieldCtx, x, child, records.get(ordOfRank.at(x))) });
      child = x;
    }
    return steps;
  };
  const biggestObjects: BiggestObject[] = biggestNodes.map((v) => ({
    objectId: hexId(idAt(index, v)),
    className: displayName(v),
    shallowBytes: shallow[v],
    retainedBytes: ret(v),
    pathToRoot: stepsFor(v),
  }));
  const leakSuspects: LeakSuspect[] = suspectNodes.map((s, i) => {
    const acc = accNodes[i];
    const ap: AccumulationPoint = { objectId: hexId(idAt(index, acc)), className: displayName(acc), shallowBytes: shallow[acc], retainedBytes: ret(acc) };
    return {
      kind: s.kind,
      className: s.kind === 'object' ? displayName(s.node) : classes[s.ci].name,
      objectId: hexId(idAt(index, s.node)),
      instances: s.instances,
      retainedBytes: s.retained,
      percent: Math.round((1000 * s.retained) / reachableBytes) / 10,
      accumulationPoint: ap,
      pathToRoot: stepsFor(s.node),
    };
  });

  const histogram: HistogramRow[] = [];
  for (let ci = 0; ci < classes.length; ci++) {
    if (instances[ci] > 0) histogram.push({ className: classes[ci].name, instances: instances[ci], shallowBytes: shallowByClass[ci], retainedBytes: retainedByClass[ci] });
  }
  histogram.sort((a, b) => b.retainedBytes - a.retainedBytes || b.shallowBytes - a.shallowBytes || (a.className < b.className ? -1 : 1));

  const largeArrays: LargeArray[] = largePrim
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, 10)
    .map((x) => ({ objectId: hexId(idAt(index, x.r)), className: classes[cls[x.r]].name, length: x.len, shallowBytes: x.bytes }));

  const emptyMap = new Map<number, EmptyCollections>();
  for (let i = 0; i < er.emptyNodes.length; i++) {
    const v = er.emptyNodes[i];
    const b = er.emptyBacking[i];
    const e = emptyMap.get(cls[v]) ?? { className: classes[cls[v]].name, count: 0, wastedBytes: 0 };
    e.count++;
    e.wastedBytes += shallow[v] + (b >= 0 ? shallow[b] : 0);
    emptyMap.set(cls[v], e);
  }
  const emptyCollections = [...emptyMap.values()].sort((a, b) => b.wastedBytes - a.wastedBytes);
  lap('reports');

  let jvm: JvmSettings = { systemProperties: {}, heapOptions: p1.heapOptions, xmx: xmxOf(p1.heapOptions), maxHeapBytes: null };
  if (jvm.xmx) jvm.xmxSource = 'the JVM arguments kept in the heap';
  try {
    if (!gzip || fileSize < 512 << 20) jvm = await readJvmSettings(strCtx, fieldCtx, jvm);
    else warnings.push('system properties not read: random access into a large gzip dump is too slow');
  } catch (e) {
    warnings.push(`system properties could not be read: ${(e as Error).message}`);
  }
  // Secrets never leave the JVM: system properties, heap options and the command line are masked here, once, so
  // the card, the JSON report and the job result in Redis all carry the masked values.
  jvm = { ...jvm, systemProperties: maskRecord(jvm.systemProperties), heapOptions: jvm.heapOptions.map(maskText) };
  lap('settings');
  progress(1);
  seconds.total = Math.round(performance.now() - t0) / 1000;
  pool.clear(); // nothing below reads pool memory: let the arena go with the last view

  let shallowTotal = 0;
  for (let ci = 0; ci < classes.length; ci++) shallowTotal += shallowByClass[ci];
  const knownClasses = classes.filter((c, i) => instances[i] > 0 || c.hasDump).length;
  return {
    file: path,
    format: p1.format,
    summary: { objects: n, shallowBytes: shallowTotal, classes: knownClasses, gcRoots: roots.length, idSize, compressedOops: L.refSize === 4 && idSize === 8 },
    unreachable: { objects: unreachableObjects, shallowBytes: unreachableBytes },
    reachableBytes,
    histogram,
    biggestObjects,
    leakSuspects,
    duplicateStrings,
    largeArrays,
    emptyCollections,
    jvm,
    warnings,
    seconds,
  };
}

/** Path of node ranks with the middle of very long paths replaced by a negative count of omitted steps. */
function elide(p: number[]): number[] {
  if (p.length <= 40) return p;
  return [...p.slice(0, 30), -(p.length - 35), ...p.slice(p.length - 5)];
}

function classIndexByName(classes: ClassInfo[], name: string): number | undefined {
  const c = classes.find((k) => k.name === name && k.hasDump) ?? classes.find((k) => k.name === name);
  return c?.idx;
}

function addSynthetic(classes: ClassInfo[], name: string): number {
  const idx = classes.length;
  classes.push({
    idx, objId: 0, name, hasDump: false, kind: KIND_INSTANCE, elemType: 0, superId: 0, loaderId: 0, signersId: 0, pdId: 0,
    staticNames: [], staticTypes: [], staticRefs: [], fieldNames: [], fieldTypes: [], seenBytes: -1, superIdx: -1,
    refOffsets: new Int32Array(0), referentOffset: -1, instanceShallow: 0,
  });
  return idx;
}

function resolveClassNames(p1: Pass1Result): void {
  for (const c of p1.classes) {
    if (c.name && c.objId === 0) {
      c.name = javaClassName(c.name);
      continue;
    }
    const nid = p1.loadClassNames.get(c.objId);
    const raw = nid !== undefined ? p1.strings.get(nid) : undefined;
    if (raw !== undefined) c.name = javaClassName(raw);
    else if (c.kind === KIND_PRIM_ARRAY) c.name = `${PRIM_NAMES[c.elemType]}[]`;
    else c.name = `unknown class ${hexId(c.objId)}`;
  }
}

/** Instance layouts: ref-field offsets over the superclass chain and MAT's shallow size. */
function computeLayouts(classes: ClassInfo[], idSize: number, L: Layout, jlc: number, p1: Pass1Result): void {
  const byId = p1.classIndex;
  for (const c of classes) c.superIdx = c.superId !== 0 ? byId.get(c.superId) : -1;
  const sizeRec = new Map<number, number>();
  const heapSize = (c: ClassInfo): number => {
    // S(Object) = mark word + class pointer; S(C) = alignUp(S(super) + own fields, refSize). Iterative: chains are
    // short, but nothing here may recurse on input data.
    const chain: ClassInfo[] = [];
    let k: ClassInfo | undefined = c;
    while (k && !sizeRec.has(k.idx) && chain.length < 256) {
      chain.push(k);
      k = k.superIdx >= 0 ? classes[k.superIdx] : undefined;
    }
    let base = k ? sizeRec.get(k.idx)! : -1;
    for (let i = chain.length - 1; i >= 0; i--) {
      const x = chain[i];
      if (base < 0) {
        base = L.pointerSize + L.refSize;
        sizeRec.set(x.idx, base);
        if (x.superIdx < 0) continue;
      }
      let own = 0;
      for (const t of x.fieldTypes) own += t === 2 ? L.refSize : TYPE_SIZE[t];
      base = alignUp(base + own, L.refSize);
      sizeRec.set(x.idx, base);
    }
    return base;
  };
  const refName = classIndexByName(classes, 'java.lang.ref.Reference');
  for (const c of classes) {
    if (c.kind !== KIND_INSTANCE) continue;
    const offs: number[] = [];
    let off = 0;
    let referent = -1;
    let k: ClassInfo | undefined = c;
    for (let guard = 0; k && guard < 256; guard++) {
      for (let f = 0; f < k.fieldTypes.length; f++) {
        const t = k.fieldTypes[f];
        if (t === 2) {
          offs.push(off);
          if (k.idx === refName && p1.strings.get(k.fieldNames[f]) === 'referent') referent = off;
        }
        off += t === 2 ? idSize : TYPE_SIZE[t];
      }
      k = k.superIdx >= 0 ? classes[k.superIdx] : undefined;
    }
    c.refOffsets = Int32Array.from(offs);
    c.referentOffset = referent;
    if (c.hasDump) c.instanceShallow = alignUp(heapSize(c), L.align);
    else c.instanceShallow = alignUp(L.pointerSize + L.refSize + Math.max(0, c.seenBytes), L.align);
  }
  void jlc;
}

function classShallow(c: ClassInfo, jlc: ClassInfo, L: Layout): number {
  // MAT: statics are part of the class object's size, added to a java.lang.Class instance.
  let statics = 0;
  for (const t of c.staticTypes) statics += t === 2 || t === 1 ? L.refSize : TYPE_SIZE[t];
  return alignUp((jlc.instanceShallow || L.pointerSize + L.refSize) + statics, L.align);
}

function edgeClassOf(c: ClassInfo, classes: ClassInfo[], p1: Pass1Result): EdgeClass {
  let sizeOffset = -1;
  let backingOffset = -1;
  // Find the declaring collection class in the chain and the offsets of its size and backing fields.
  let off = 0;
  let k: ClassInfo | undefined = c;
  for (let guard = 0; k && guard < 256 && c.kind === KIND_INSTANCE; guard++) {
    const spec = COLLECTIONS.find(([name]) => name === k!.name);
    let o = off;
    for (let f = 0; f < k.fieldTypes.length; f++) {
      const t = k.fieldTypes[f];
      const nm = p1.strings.get(k.fieldNames[f]);
      if (spec && nm === spec[1] && t === 10) sizeOffset = o;
      if (spec && spec[2] && nm === spec[2] && t === 2) backingOffset = o;
      o += t === 2 ? p1.idSize : TYPE_SIZE[t];
    }
    if (spec) break;
    off = o;
    k = k.superIdx >= 0 ? classes[k.superIdx] : undefined;
  }
  if (sizeOffset < 0) backingOffset = -1;
  return { refOffsets: c.refOffsets, referentOffset: c.referentOffset, sizeOffset, backingOffset };
}

interface FieldCtx {
  classes: ClassInfo[];
  p1: Pass1Result;
  idSize: number;
  index: ReturnType<typeof buildIdIndex>['index'];
  classOfNode: Map<number, number>;
  cls: Int32Array;
  classNodeOf: Int32Array;
}

/** The field of `parent` that references `child`, read from the parent's record (or the class model). */
function fieldName(ctx: FieldCtx, parent: number, child: number, rec: Buffer | undefined): string {
  const { classes, p1, idSize: I } = ctx;
  const childId = idAt(ctx.index, child);
  const ci = ctx.classOfNode.get(parent);
  if (ci !== undefined) {
    const c = classes[ci];
    for (let i = 0; i < c.staticRefs.length; i++) if (c.staticRefs[i] === childId) return p1.strings.get(c.staticNames[i]) ?? '<static>';
    if (c.superId === childId) return '<super>';
    if (c.loaderId === childId) return '<classloader>';
    if (c.signersId === childId) return '<signers>';
    if (c.pdId === childId) return '<protection domain>';
    if (ctx.classNodeOf[ctx.cls[parent]] === child) return '<class>';
    return '?';
  }
  if (ctx.classNodeOf[ctx.cls[parent]] === child) return '<class>';
  if (!rec) return '?';
  const rd = (p: number): number => (I === 8 ? rec.readUInt32BE(p) * 4294967296 + rec.readUInt32BE(p + 4) : rec.readUInt32BE(p));
  if (rec[0] === 0x22) {
    const len = rec.readUInt32BE(1 + I + 4);
    const base = 1 + 2 * I + 8;
    for (let k = 0; k < len && base + (k + 1) * I <= rec.length; k++) if (rd(base + k * I) === childId) return `[${k}]`;
    return '[?]';
  }
  if (rec[0] === 0x21) {
    let k: ClassInfo | undefined = classes[ctx.cls[parent]];
    let off = 1 + 2 * I + 8;
    for (let guard = 0; k && guard < 256; guard++) {
      for (let f = 0; f < k.fieldTypes.length; f++) {
        const t = k.fieldTypes[f];
        if (t === 2 && off + I <= rec.length && rd(off) === childId) return p1.strings.get(k.fieldNames[f]) ?? '?';
        off += t === 2 ? I : TYPE_SIZE[t];
      }
      k = k.superIdx >= 0 ? classes[k.superIdx] : undefined;
    }
  }
  return '?';
}

/** rank → dump ordinal. */
interface OrdOfRank {
  at(r: number): number;
}

/**
 * Runs of consecutive ranks with consecutive ordinals (start rank, start ordinal), looked up by binary search, when
 * there are at most n/64 of them; otherwise the array itself. The array goes back to the pool in the first case.
 */
function compactOrdOfRank(ordOfRank: Uint32Array, pool: BufferPool): OrdOfRank {
  const n = ordOfRank.length;
  const limit = Math.max(16, n >>> 6);
  let runs = n > 0 ? 1 : 0;
  for (let r = 1; r < n && runs <= limit; r++) if (ordOfRank[r] !== ordOfRank[r - 1] + 1) runs++;
  if (runs > limit) return { at: (r) => ordOfRank[r] };
  const rankAt = new Uint32Array(runs);
  const ordAt = new Uint32Array(runs);
  let k = 0;
  for (let r = 0; r < n; r++) {
    if (r === 0 || ordOfRank[r] !== ordOfRank[r - 1] + 1) {
      rankAt[k] = r;
      ordAt[k++] = ordOfRank[r];
    }
  }
  pool.give(ordOfRank);
  return {
    at: (r) => {
      let lo = 0;
      let hi = runs - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (rankAt[mid] <= r) lo = mid;
        else hi = mid - 1;
      }
      return ordAt[lo] + (r - rankAt[lo]);
    },
  };
}

interface StrCtx {
  path: string;
  idSize: number;
  segments: Pass1Result['segments'];
  ordOfRank: OrdOfRank;
  index: ReturnType<typeof buildIdIndex>['index'];
  classes: ClassInfo[];
  cls: Int32Array;
  p1Strings: Map<number, string>;
  marks: Float64Array;
}

/** Decode the text of String objects (JDK 9+ byte[] + coder, or JDK 8 char[]). */
async function stringValues(ctx: StrCtx, strings: number[], graph: ObjectGraph): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const want: number[] = [];
  for (const s of strings) {
    const e = graph.starts[s];
    if (graph.starts[s + 1] > e) want.push(graph.edges[e]);
  }
  const recs = await readObjects(ctx.path, ctx.idSize, ctx.segments, [...strings, ...want].map((r) => ctx.ordOfRank.at(r)), 1 << 16, ctx.marks);
  for (const s of strings) {
    const e = graph.starts[s];
    if (graph.starts[s + 1] <= e) continue;
    const arr = recs.get(ctx.ordOfRank.at(graph.edges[e]));
    const srec = recs.get(ctx.ordOfRank.at(s));
    if (!arr || arr[0] !== 0x23) continue;
    out.set(s, decodeStringArray(arr, ctx, srec, s));
  }
  return out;
}

function decodeStringArray(arr: Buffer, ctx: StrCtx, srec: Buffer | undefined, s: number): string {
  const I = ctx.idSize;
  const len = arr.readUInt32BE(1 + I + 4);
  const t = arr[1 + I + 8];
  const body = arr.subarray(1 + I + 9);
  if (t === 5) return Buffer.from(body.subarray(0, len * 2)).swap16().toString('utf16le');
  // byte[] value: coder 0 = Latin-1, 1 = UTF-16 in the JVM's (little-endian on x86/aarch64) byte order.
  let coder = 0;
  const c = ctx.classes[ctx.cls[s]];
  if (srec) {
    let off = 1 + 2 * I + 8;
    for (let f = 0; f < c.fieldTypes.length; f++) {
      const ft = c.fieldTypes[f];
      if (ft === 8 && ctx.p1Strings.get(c.fieldNames[f]) === 'coder') coder = srec[off] ?? 0;
      off += ft === 2 ? I : TYPE_SIZE[ft];
    }
  }
  return coder === 1 ? body.subarray(0, len).toString('utf16le') : body.subarray(0, len).toString('latin1');
}

async function findDuplicateStrings(
  ctx: StrCtx,
  graph: ObjectGraph,
  shallow: Uint32Array,
  hashRank: Uint32Array,
  hashVal: Uint32Array,
  hashVal2: Uint32Array,
  hashLen: Uint32Array,
  pool: BufferPool,
): Promise<DuplicateString[]> {
  const stringIdx = classIndexByName(ctx.classes, 'java.lang.String');
  if (stringIdx === undefined || hashRank.length === 0) return [];
  // rank → hash slot of the small byte[]/char[] at that rank (−1: none), in memory the earlier passes freed.
  const n = graph.n;
  const slotOf = pool.i32(n, false).fill(-1);
  for (let i = 0; i < hashRank.length; i++) slotOf[hashRank[i]] = i;
  // For every String: the hash slot of its value array. Grouped by (hash, length) with a radix sort on the hash.
  const { cls, starts, edges } = graph;
  let count = 0;
  for (let v = 0; v < n; v++) {
    if (cls[v] !== stringIdx) continue;
    const e = starts[v];
    if (starts[v + 1] > e && slotOf[edges[e]] >= 0) count++;
  }
  const strs = pool.u32(count, false);
  const slots = pool.u32(count, false);
  count = 0;
  for (let v = 0; v < n; v++) {
    if (cls[v] !== stringIdx) continue;
    const e = starts[v];
    if (starts[v + 1] <= e) continue;
    const h = slotOf[edges[e]];
    if (h < 0) continue;
    strs[count] = v;
    slots[count++] = h;
  }
  pool.give(slotOf);
  const keys = pool.u32(count, false);
  for (let i = 0; i < count; i++) keys[i] = hashVal[slots[i]];
  const order = radixOrder(keys, pool);
  const groups: Array<{ rep: number; count: number; wasted: number }> = [];
  let i = 0;
  while (i < order.length) {
    let j = i + 1;
    const h = keys[order[i]];
    while (j < order.length && keys[order[j]] === h) j++;
    if (j - i > 1) {
      // Same first hash: split further by array length and the second, independent hash (contents are not compared:
      // a false group needs a 64-bit collision between arrays of equal length).
      const byLen = new Map<number, number[]>();
      for (let k = i; k < j; k++) {
        const s = order[k];
        const l = hashLen[slots[s]] * 4294967296 + hashVal2[slots[s]];
        const list = byLen.get(l) ?? [];
        list.push(s);
        byLen.set(l, list);
      }
      for (const list of byLen.values()) {
        if (list.length < 2) continue;
        const arrays = new Set<number>();
        let wasted = 0;
        for (const s of list) {
          const arr = graph.edges[graph.starts[strs[s]]];
          if (!arrays.has(arr)) {
            if (arrays.size > 0) wasted += shallow[arr];
            arrays.add(arr);
          }
        }
        wasted += (list.length - 1) * shallow[strs[list[0]]];
        groups.push({ rep: strs[list[0]], count: list.length, wasted });
      }
    }
    i = j;
  }
  pool.give(strs, slots, keys, order);
  groups.sort((a, b) => b.wasted - a.wasted);
  const topGroups = groups.slice(0, 20);
  const texts = await stringValues(ctx, topGroups.map((g) => g.rep), graph);
  return topGroups.map((g) => {
    // Masked before the cut: a JWT or PEM block clipped at 120 characters would no longer look like one.
    const t = maskText(texts.get(g.rep) ?? '?');
    return { value: t.length > 120 ? `${t.slice(0, 119)}…` : t, count: g.count, wastedBytes: g.wasted };
  });
}

function xmxOf(opts: string[]): string | null {
  for (const o of opts) {
    const m = /^-Xmx(\d+[kKmMgGtT]?)/.exec(o) ?? /^-XX:MaxHeapSize=(\d+[kKmMgGtT]?)/.exec(o);
    if (m) return m[1];
  }
  return null;
}

/** Field values of an instance record by field name (refs as ids, ints as numbers). */
function instanceFields(rec: Buffer, c: ClassInfo, classes: ClassInfo[], strings: Map<number, string>, I: number): Map<string, number> {
  const out = new Map<string, number>();
  let off = 1 + 2 * I + 8;
  let k: ClassInfo | undefined = c;
  for (let guard = 0; k && guard < 256; guard++) {
    for (let f = 0; f < k.fieldTypes.length; f++) {
      const t = k.fieldTypes[f];
      const nm = strings.get(k.fieldNames[f]) ?? '';
      if (off + (t === 2 ? I : TYPE_SIZE[t]) > rec.length) return out;
      if (!out.has(nm)) {
        if (t === 2) out.set(nm, I === 8 ? rec.readUInt32BE(off) * 4294967296 + rec.readUInt32BE(off + 4) : rec.readUInt32BE(off));
        else if (t === 10) out.set(nm, rec.readInt32BE(off));
        else if (t === 8 || t === 4) out.set(nm, rec[off]);
      }
      off += t === 2 ? I : TYPE_SIZE[t];
    }
    k = k.superIdx >= 0 ? classes[k.superIdx] : undefined;
  }
  return out;
}

/**
 * System properties: java.lang.System's static `props` (a Properties; JDK 9+ keeps entries in a
 * ConcurrentHashMap field `map`, JDK 8 in its Hashtable `table`). Read by following references a few records at a
 * time.
 */
async function readSystemProperties(ctx: StrCtx, f: FieldCtx): Promise<Record<string, string>> {
  const sys = classIndexByName(ctx.classes, 'java.lang.System');
  if (sys === undefined) return {};
  return readStringMap(ctx, f, staticRef(ctx.classes[sys], 'props', f.p1.strings));
}

/** The id a class's static reference field holds, 0 when absent. */
function staticRef(c: ClassInfo, name: string, strings: Map<number, string>): number {
  const i = c.staticNames.findIndex((nm) => strings.get(nm) === name);
  return i < 0 ? 0 : (c.staticRefs[i] ?? 0);
}

/** A static `long` of a class, read from its CLASS_DUMP record (pass 1 keeps only static references). */
function staticLong(rec: Buffer, I: number, name: string, strings: Map<number, string>): number | null {
  if (rec[0] !== 0x20) return null;
  const id = (p: number): number => (I === 8 ? rec.readUInt32BE(p) * 4294967296 + rec.readUInt32BE(p + 4) : rec.readUInt32BE(p));
  const size = (t: number): number => (t === 2 || t === 1 ? I : TYPE_SIZE[t]);
  let p = 1 + I + 4 + 6 * I + 4;
  if (p + 2 > rec.length) return null;
  const cp = rec.readUInt16BE(p);
  p += 2;
  for (let k = 0; k < cp; k++) {
    if (p + 3 > rec.length) return null;
    p += 3 + size(rec[p + 2]);
  }
  if (p + 2 > rec.length) return null;
  const n = rec.readUInt16BE(p);
  p += 2;
  for (let k = 0; k < n; k++) {
    if (p + I + 1 > rec.length) return null;
    const t = rec[p + I];
    if (!(size(t) > 0) || p + I + 1 + size(t) > rec.length) return null;
    if (t === 11 && strings.get(id(p)) === name) return Number(rec.readBigInt64BE(p + I + 1));
    p += I + 1 + size(t);
  }
  return null;
}

const XMX_IN_TEXT = /(?:^|\s)-Xmx(\d+[kKmMgGtT]?)(?=\s|$)/;

/**
 * The JVM settings section: system properties, and the max heap from the best source the dump has. -Xmx is a
 * JVM option, not a property: it is in the heap as a string only when something asked for the input arguments
 * (RuntimeMXBean), or inside a property a launcher filled (a wrapper's command, JAVA_OPTS copied into a property).
 * Failing both, the JDK saved `Runtime.maxMemory()` at start-up as the default direct-memory limit
 * (`jdk.internal.misc.VM.directMemory`, JDK 8 `sun.misc.VM`), which is the max heap unless
 * -XX:MaxDirectMemorySize was given (then the VM's saved properties hold `sun.nio.MaxDirectMemorySize`).
 */
async function readJvmSettings(ctx: StrCtx, f: FieldCtx, base: JvmSettings): Promise<JvmSettings> {
  const strings = f.p1.strings;
  const systemProperties = await readSystemProperties(ctx, f);
  const out: JvmSettings = { ...base, systemProperties };
  if (!out.xmx) {
    for (const [k, v] of Object.entries(systemProperties)) {
      const m = XMX_IN_TEXT.exec(v);
      if (m) {
        out.xmx = m[1];
        out.xmxSource = `the system property ${k}`;
        break;
      }
    }
  }
  if (out.xmx) return out;
  const vm = classIndexByName(ctx.classes, 'jdk.internal.misc.VM') ?? classIndexByName(ctx.classes, 'sun.misc.VM');
  if (vm === undefined) return out;
  const c = ctx.classes[vm];
  const rank = c.objId === 0 ? -1 : lookupId(ctx.index, c.objId);
  if (rank < 0) return out;
  const recs = await readObjects(ctx.path, ctx.idSize, ctx.segments, [ctx.ordOfRank.at(rank)], 1 << 20, ctx.marks);
  const rec = recs.get(ctx.ordOfRank.at(rank));
  const direct = rec ? staticLong(rec, ctx.idSize, 'directMemory', strings) : null;
  if (direct === null || direct <= 0) return out;
  const saved = await readStringMap(ctx, f, staticRef(c, 'savedProps', strings));
  const maxDirect = saved['sun.nio.MaxDirectMemorySize'];
  // Only when the saved properties (read, so not empty) say no direct-memory limit was set is directMemory the max
  // heap: HotSpot adds the property only for an explicit -XX:MaxDirectMemorySize (JDK 8 sets -1 otherwise).
  if (Object.keys(saved).length === 0 || (maxDirect !== undefined && maxDirect !== '' && maxDirect !== '-1')) return out;
  return { ...out, maxHeapBytes: direct };
}

/**
 * String entries of a map object: a Properties (JDK 9+ keeps entries in a ConcurrentHashMap field `map`, JDK 8 in
 * its Hashtable `table`), a HashMap or a ConcurrentHashMap. Read by following references a few records at a time.
 */
async function readStringMap(ctx: StrCtx, f: FieldCtx, mapId: number): Promise<Record<string, string>> {
  if (mapId === 0) return {};
  const strings = f.p1.strings;
  const I = ctx.idSize;
  const rankOf = (id: number): number => (id === 0 ? -1 : lookupId(ctx.index, id));
  const fetch = async (ranks: number[]): Promise<Map<number, Buffer>> => {
    const recs = await readObjects(ctx.path, I, ctx.segments, ranks.filter((r) => r >= 0).map((r) => ctx.ordOfRank.at(r)), 1 << 20, ctx.marks);
    const out = new Map<number, Buffer>();
    for (const r of ranks) {
      const b = r >= 0 ? recs.get(ctx.ordOfRank.at(r)) : undefined;
      if (b) out.set(r, b);
    }
    return out;
  };
  const fieldsOf = (r: number, rec: Buffer): Map<string, number> => instanceFields(rec, ctx.classes[ctx.cls[r]], ctx.classes, strings, I);
  const propsR = rankOf(mapId);
  if (propsR < 0) return {};
  let recs = await fetch([propsR]);
  const pf = recs.get(propsR) ? fieldsOf(propsR, recs.get(propsR)!) : new Map<string, number>();
  let holder = propsR;
  let hf = pf;
  if (pf.get('map')) {
    holder = rankOf(pf.get('map')!);
    recs = await fetch([holder]);
    hf = recs.get(holder) ? fieldsOf(holder, recs.get(holder)!) : new Map();
  }
  const tableR = rankOf(hf.get('table') ?? 0);
  if (tableR < 0) return {};
  recs = await fetch([tableR]);
  const tab = recs.get(tableR);
  if (!tab || tab[0] !== 0x22) return {};
  let nodes: number[] = [];
  const len = tab.readUInt32BE(1 + I + 4);
  for (let k = 0; k < len; k++) {
    const p = 1 + 2 * I + 8 + k * I;
    if (p + I > tab.length) break;
    const id = I === 8 ? tab.readUInt32BE(p) * 4294967296 + tab.readUInt32BE(p + 4) : tab.readUInt32BE(p);
    if (id !== 0) nodes.push(rankOf(id));
  }
  const pairs: Array<[number, number]> = [];
  for (let round = 0; round < 8 && nodes.length > 0; round++) {
    recs = await fetch(nodes);
    const next: number[] = [];
    for (const r of nodes) {
      const rec = recs.get(r);
      if (!rec || rec[0] !== 0x21) continue;
      const nf = fieldsOf(r, rec);
      pairs.push([rankOf(nf.get('key') ?? 0), rankOf(nf.get('val') ?? nf.get('value') ?? 0)]);
      const nx = rankOf(nf.get('next') ?? 0);
      if (nx >= 0) next.push(nx);
    }
    nodes = next;
  }
  const strNodes = pairs.flatMap(([k, v]) => [k, v]).filter((r) => r >= 0 && ctx.classes[ctx.cls[r]].name === 'java.lang.String');
  // Strings: their value arrays are found from their records (no graph needed here).
  const srecs = await fetch(strNodes);
  const arrRanks: number[] = [];
  const arrOf = new Map<number, number>();
  for (const s of strNodes) {
    const rec = srecs.get(s);
    if (!rec) continue;
    const a = rankOf(fieldsOf(s, rec).get('value') ?? 0);
    if (a >= 0) {
      arrOf.set(s, a);
      arrRanks.push(a);
    }
  }
  const arecs = await fetch(arrRanks);
  const text = (s: number): string | undefined => {
    const a = arrOf.get(s);
    const rec = a !== undefined ? arecs.get(a) : undefined;
    if (!rec || rec[0] !== 0x23) return undefined;
    return decodeStringArray(rec, ctx, srecs.get(s), s);
  };
  const out: Record<string, string> = {};
  for (const [k, v] of pairs.sort()) {
    const ks = text(k);
    const vs = text(v);
    if (ks !== undefined && vs !== undefined) out[ks] = vs;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function partialHistogram(p1: Pass1Result, jlc: number, L: Layout): PartialHeapResult {
  const classes = p1.classes;
  try {
    computeLayouts(classes, p1.idSize, L, jlc, p1);
  } catch {
    // Layouts of a half-read class list can be inconsistent; sizes then stay 0 for those classes.
  }
  const inst = new Float64Array(classes.length);
  const bytes = new Float64Array(classes.length);
  for (let o = 0; o < p1.count; o++) {
    const c = p1.cls[o];
    const a = p1.aux[o];
    if (c < 0) {
      inst[jlc]++;
      bytes[jlc] += classShallow(classes[a], classes[jlc], L);
      continue;
    }
    const k = classes[c];
    inst[c]++;
    bytes[c] += k.kind === KIND_PRIM_ARRAY ? primArrayShallow(L, k.elemType, a) : k.kind === KIND_OBJ_ARRAY ? objArrayShallow(L, a) : k.instanceShallow;
  }
  return partialHistogram2(classes, inst, bytes, p1.count, p1.idSize);
}

function partialHistogram2(classes: ClassInfo[], inst: Float64Array, bytes: Float64Array, objects: number, idSize: 4 | 8): PartialHeapResult {
  const histogram: PartialHeapResult['histogram'] = [];
  let total = 0;
  for (let i = 0; i < classes.length; i++) {
    if (inst[i] > 0) histogram.push({ className: classes[i].name, instances: inst[i], shallowBytes: bytes[i] });
    total += bytes[i];
  }
  histogram.sort((a, b) => b.shallowBytes - a.shallowBytes);
  return { summary: { objects, shallowBytes: total, classes: histogram.length, idSize }, histogram };
}
