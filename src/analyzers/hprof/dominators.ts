/**
 * Dominator tree, retained sizes and shortest GC-root paths over the CSR object graph. Every algorithm here is
 * iterative: heaps hold linked lists millions of nodes deep, and JS recursion dies at ~10 k frames.
 */

import { BufferPool } from './pool.js';

export interface ObjectGraph {
  /** Objects; node `n` is the virtual root above all GC roots. */
  n: number;
  /** CSR: out-edges of v are edges[starts[v] .. starts[v+1]). */
  starts: Uint32Array;
  edges: Uint32Array;
  /** Implicit edge from every object to its class object (−1 when the class has none). */
  classNode: Int32Array;
  cls: Int32Array;
  roots: Uint32Array;
  weak: Int32Array;
}

export interface DominatorResult {
  /** Immediate dominator per node (node n = virtual root; −1 = unreachable). */
  idom: Int32Array;
  /** Nodes the search numbered, in DFS preorder, virtual root first (pruned leaves are not among them). */
  preorder: Uint32Array;
  /** The pool array `preorder` is a view of: give it back when `preorder` is dead. */
  vertex: Uint32Array;
  /** Bit per node: a leaf with a single referrer, left out of the search (its dominator is that referrer). */
  pruned: Int32Array;
  /** Class objects that reference nothing, left out of the search (their dominator is found afterwards). */
  leafClasses: Int32Array;
}

/**
 * SEMI-NCA (Georgiadis): Lengauer-Tarjan's semidominators without buckets, then a nearest-common-ancestor walk,
 * on a reduced graph that gives the same dominators:
 * - edges into GC roots are dropped: a root's dominator is the virtual root whatever else points at it, and such an
 *   edge opens no path the virtual root's own edge does not (this removes most instance → class edges, as the JDK's
 *   classes are sticky-class roots);
 * - leaves (no edge out once those are dropped) with exactly one incoming edge are left out: their dominator is their
 *   referrer and they are on nobody else's path. Strings' arrays, boxed numbers and most primitive arrays are such
 *   leaves, often half of a heap, so the search, the predecessor lists and the semidominator loop shrink by as much;
 * - class objects that reference nothing but roots (`[B`, `[I`: HotSpot does not make array classes roots) are left
 *   out too, with every edge into them: they are on nobody's path, and their dominator is the nearest common
 *   dominator of all their referrers (instances included), found by one scan once the tree is known. Without this,
 *   every primitive array's class edge would keep it in the search.
 */
export function computeDominators(g: ObjectGraph, pool: BufferPool = new BufferPool(), releaseGraph?: () => void): DominatorResult {
  const { n, starts, edges, classNode, cls, roots } = g;
  const words = (n >>> 5) + 1;
  // `num`: node → preorder number (1-based) of searched nodes; −(referrer + 2) for a pruned leaf once its referrer is
  // searched; 0 = not reached. It becomes the idom array in place at the end. Taken first, while the pool still has
  // whole ranges of n elements; the bitsets (n/8 bytes) are plain arrays so they do not cut into those ranges.
  const num = pool.i32(n + 1);
  const rootBit = new Int32Array(words);
  for (let k = 0; k < roots.length; k++) rootBit[roots[k] >>> 5] |= 1 << (roots[k] & 31);
  const isRoot = (x: number): boolean => ((rootBit[x >>> 5] >>> (x & 31)) & 1) === 1;
  // Leaf classes: class objects, not roots, whose every edge out (explicit or to their own class) goes to a root.
  // `drop` marks roots and leaf classes: edges into them are left out of the search.
  const drop = new Int32Array(words);
  drop.set(rootBit);
  // Per class: its slot in lcNodes when its class object is a leaf class, else −1 (classes may share a node).
  const lcSlot = new Int32Array(classNode.length).fill(-1);
  const lcNodes: number[] = [];
  for (let k = 0; k < classNode.length; k++) {
    const c = classNode[k];
    if (c < 0 || isRoot(c)) continue;
    const seen = lcNodes.indexOf(c);
    if (seen >= 0 || (drop[c >>> 5] >>> (c & 31)) & 1) {
      lcSlot[k] = seen;
      continue;
    }
    const cc = classNode[cls[c]];
    let leaf = cc < 0 || isRoot(cc);
    for (let e = starts[c], end = starts[c + 1]; e < end && leaf; e++) leaf = isRoot(edges[e]);
    if (!leaf) continue;
    lcSlot[k] = lcNodes.length;
    lcNodes.push(c);
    drop[c >>> 5] |= 1 << (c & 31);
  }
  // Class edges the search follows: to class nodes that are neither roots nor leaf classes, else −1.
  const clsTarget = new Int32Array(classNode.length);
  for (let k = 0; k < classNode.length; k++) {
    const c = classNode[k];
    clsTarget[k] = c >= 0 && ((drop[c >>> 5] >>> (c & 31)) & 1) === 0 ? c : -1;
  }
  // Per node: incoming edges saturated at 2 (bits 0-1) and "has an edge out" (bit 2). Roots count none (edges into
  // them are dropped), so they are never pruned.
  const deg = pool.u8(n);
  for (let v = 0; v < n; v++) {
    let out = 0;
    const c = clsTarget[cls[v]];
    if (c >= 0) {
      out = 4;
      const d = deg[c];
      if ((d & 3) < 2) deg[c] = d + 1;
    }
    for (let k = starts[v], e = starts[v + 1]; k < e; k++) {
      const w = edges[k];
      if ((drop[w >>> 5] >>> (w & 31)) & 1) {
        // An explicit edge into a leaf class: v must be searched, so the search meets (and records) the edge.
        if (((rootBit[w >>> 5] >>> (w & 31)) & 1) === 0) out = 4;
        continue;
      }
      out = 4;
      const d = deg[w];
      if ((d & 3) < 2) deg[w] = d + 1;
    }
    deg[v] |= out;
  }
  const pruned = new Int32Array(words);
  let prunedCount = 0;
  for (let v = 0; v < n; v++) {
    if (deg[v] === 1) {
      pruned[v >>> 5] |= 1 << (v & 31);
      prunedCount++;
    }
  }
  pool.give(deg);

  let count = 0;
  // Searched nodes: at most the virtual root and every node not pruned or a leaf class (slot 0 unused).
  const most = n + 2 - prunedCount - lcNodes.length;
  let vertex = pool.u32(most, false);
  let parent = pool.i32(most, false);
  // DFS stacks: usually far shallower than n (a linked list can need n), so they start small and double.
  let stackNode = new Int32Array(Math.min(n + 1, 1 << 16));
  let stackCur = new Uint32Array(stackNode.length);
  const CLASS_NEXT = 0xffffffff; // edge indices stay below 0xFFFFFFF0
  // Explicit edges into leaf classes the search meets: pairs (class node, referrer).
  const lcRefs: number[] = [];
  let sp = 0;
  num[n] = ++count;
  vertex[count] = n;
  parent[count] = 0;
  stackNode[0] = n;
  stackCur[0] = 0;
  sp = 1;
  while (sp > 0) {
    const v = stackNode[sp - 1];
    const c = stackCur[sp - 1];
    let w: number;
    if (v === n) {
      if (c >= roots.length) {
        sp--;
        continue;
      }
      w = roots[c];
      stackCur[sp - 1] = c + 1;
      if (num[w] !== 0) continue;
    } else {
      if (c === CLASS_NEXT) {
        w = clsTarget[cls[v]];
        stackCur[sp - 1] = starts[v];
      } else if (c < starts[v + 1]) {
        w = edges[c];
        stackCur[sp - 1] = c + 1;
      } else {
        sp--;
        continue;
      }
      if (w < 0 || num[w] !== 0) continue;
      if ((drop[w >>> 5] >>> (w & 31)) & 1) {
        if (((rootBit[w >>> 5] >>> (w & 31)) & 1) === 0) lcRefs.push(w, v);
        continue;
      }
      if ((pruned[w >>> 5] >>> (w & 31)) & 1) {
        num[w] = -(v + 2);
        continue;
      }
    }
    num[w] = ++count;
    vertex[count] = w;
    parent[count] = num[v];
    if (sp === stackNode.length) {
      const k = Math.min(n + 1, sp * 2);
      const bn = new Int32Array(k);
      bn.set(stackNode);
      stackNode = bn;
      const bc = new Uint32Array(k);
      bc.set(stackCur);
      stackCur = bc;
    }
    stackNode[sp] = w;
    stackCur[sp] = CLASS_NEXT;
    sp++;
  }
  const nr = count;
  stackNode = new Int32Array(0);
  stackCur = new Uint32Array(0);
  if (most - (nr + 2) >= 1024) {
    pool.give(vertex.subarray(nr + 2), parent.subarray(nr + 2));
    vertex = vertex.subarray(0, nr + 2);
    parent = parent.subarray(0, nr + 2);
  }

  // Out-edges renamed to preorder numbers once (in place when the caller frees the graph after this, else in a
  // copy), 0 for edges the reduced graph drops (into roots, pruned leaves, unreached nodes), so that the two passes
  // below do one random read per edge instead of two.
  const en = releaseGraph ? edges : edges.slice();
  for (let k = 0, e = en.length; k < e; k++) {
    const w = en[k];
    en[k] = (drop[w >>> 5] >>> (w & 31)) & 1 ? 0 : Math.max(0, num[w]);
  }
  const classNum = new Int32Array(classNode.length);
  for (let k = 0; k < classNode.length; k++) classNum[k] = clsTarget[k] >= 0 ? Math.max(0, num[clsTarget[k]]) : 0;

  // Predecessors in preorder-number space. Counts, then inclusive prefix sums (the end of each list), then filled
  // backwards so predStart ends up holding the starts: no separate cursor array.
  const predStart = pool.u32(nr + 2);
  for (let i = 2; i <= nr; i++) {
    const v = vertex[i];
    const c = classNum[cls[v]];
    if (c > 0) predStart[c]++;
    for (let k = starts[v], e = starts[v + 1]; k < e; k++) predStart[en[k]]++;
  }
  predStart[0] = 0; // dropped edges were counted at 0
  for (let k = 0; k < roots.length; k++) predStart[num[roots[k]]]++;
  for (let i = 1; i <= nr + 1; i++) predStart[i] += predStart[i - 1];
  const preds = pool.u32(predStart[nr + 1], false);
  for (let i = nr; i >= 2; i--) {
    const v = vertex[i];
    const c = classNum[cls[v]];
    if (c > 0) preds[--predStart[c]] = i;
    for (let k = starts[v], e = starts[v + 1]; k < e; k++) {
      const x = en[k];
      if (x > 0) preds[--predStart[x]] = i;
    }
  }
  for (let k = 0; k < roots.length; k++) preds[--predStart[num[roots[k]]]] = 1;
  // The graph's edges are not read after this point: let the caller free them for the arrays below.
  releaseGraph?.();

  // semi and label fit the ranges the graph's starts or edges just left.
  const semi = pool.i32(nr + 1, false);
  const label = pool.i32(nr + 1, false);
  // The forest's ancestor links live in predStart: nodes are linked in decreasing preorder, so while w is processed
  // exactly the nodes above w are linked (the textbook `anc[x] !== 0` is `x > w`), and predStart[x + 1], the end of
  // x's predecessor list, is dead once x is done: anc[x] is kept there. Saves an array of 4 bytes per node.
  const anc = predStart;
  // Path-compression stack: usually shallow, so it starts small and doubles (a long chain can need nr slots).
  let cstack = new Int32Array(Math.min(nr + 1, 1 << 16));
  for (let i = 1; i <= nr; i++) {
    semi[i] = i;
    label[i] = i;
  }
  for (let w = nr; w >= 2; w--) {
    let s = semi[w];
    for (let k = predStart[w], e = predStart[w + 1]; k < e; k++) {
      const p = preds[k];
      let u = p;
      if (p > w) {
        // Iterative path compression (the textbook version recurses).
        let x = p;
        let csp = 0;
        while (anc[x + 1] > w) {
          if (csp === cstack.length) {
            const bigger = new Int32Array(Math.min(nr + 1, cstack.length * 2));
            bigger.set(cstack);
            cstack = bigger;
          }
          cstack[csp++] = x;
          x = anc[x + 1];
        }
        while (csp > 0) {
          const y = cstack[--csp];
          const a = anc[y + 1];
          if (semi[label[a]] < semi[label[y]]) label[y] = label[a];
          anc[y + 1] = anc[a + 1];
        }
        u = label[p];
      }
      if (semi[u] < s) s = semi[u];
    }
    semi[w] = s;
    anc[w + 1] = parent[w];
  }
  pool.give(preds, predStart);
  const idomNum = parent; // reuse: starts as the DFS parent
  for (let i = 2; i <= nr; i++) {
    let d = idomNum[i];
    while (d > semi[i]) d = idomNum[d];
    idomNum[i] = d;
  }
  pool.give(semi, label);

  // Leaf classes: dominator = nearest common dominator of every reached referrer. A pruned referrer hangs below its
  // own referrer in the tree, which is how its preorder position is found.
  const lcIdom = new Int32Array(lcNodes.length).fill(-1);
  if (lcNodes.length > 0) {
    const nca = (a: number, b: number): number => {
      if (a === b) return a;
      let pa = num[a] > 0 ? num[a] : num[-num[a] - 2];
      let pb = num[b] > 0 ? num[b] : num[-num[b] - 2];
      while (pa !== pb) {
        if (pa > pb) pa = idomNum[pa];
        else pb = idomNum[pb];
      }
      return vertex[pa];
    };
    const slotOfNode = new Map<number, number>(lcNodes.map((c, i) => [c, i]));
    for (let i = 0; i < lcRefs.length; i += 2) {
      const k = slotOfNode.get(lcRefs[i])!;
      lcIdom[k] = lcIdom[k] < 0 ? lcRefs[i + 1] : nca(lcIdom[k], lcRefs[i + 1]);
    }
    // Instances: one scan; a class whose dominator is already the virtual root is done.
    for (let u = 0; u < n; u++) {
      const k = lcSlot[cls[u]];
      if (k < 0 || num[u] === 0) continue;
      const a = lcIdom[k];
      if (a === n) continue;
      lcIdom[k] = a < 0 ? u : nca(a, u);
    }
  }
  // num → idom in place: searched nodes take their dominator's node, pruned leaves their referrer (searched, as the
  // search met the edge), nodes never reached −1.
  const idom = num;
  for (let v = 0; v < n; v++) {
    const x = idom[v];
    idom[v] = x > 0 ? vertex[idomNum[x]] : x < 0 ? -x - 2 : -1;
  }
  idom[n] = n;
  for (let k = 0; k < lcNodes.length; k++) idom[lcNodes[k]] = lcIdom[k];
  pool.give(parent);
  const preorder = vertex.subarray(1, nr + 1);
  return { idom, preorder, vertex, pruned, leafClasses: Int32Array.from(lcNodes) };
}

/**
 * Retained size of every node, in units of `unit` bytes (every shallow size must be a multiple of it: 8 for a heap,
 * whose sizes are aligned): its shallow size plus what it dominates, by reverse preorder accumulation. Four bytes
 * per node; with 8-byte units that holds any heap under 32 GB (the caller checks).
 */
export function computeRetained(n: number, dom: DominatorResult, shallow: Uint32Array, unit = 1, pool: BufferPool = new BufferPool()): Uint32Array {
  const retained = pool.u32(n + 1, false);
  const { idom, preorder, pruned, leafClasses } = dom;
  // Sequential first (a preorder walk would touch the array in random order).
  for (let v = 0; v < n; v++) retained[v] = idom[v] >= 0 ? shallow[v] / unit : 0;
  retained[n] = 0;
  // Leaf classes, then pruned leaves (a leaf class may hang below one): each adds its size to its dominator, which
  // the walk below then carries upwards.
  for (let i = 0; i < leafClasses.length; i++) {
    const c = leafClasses[i];
    const d = idom[c];
    if (d >= 0) retained[d] += retained[c];
  }
  for (let wd = 0; wd < pruned.length; wd++) {
    let bits = pruned[wd];
    while (bits !== 0) {
      const b = 31 - Math.clz32(bits & -bits);
      bits &= bits - 1;
      const v = (wd << 5) + b;
      const d = idom[v];
      if (d >= 0) retained[d] += retained[v];
    }
  }
  for (let i = preorder.length - 1; i >= 1; i--) {
    const v = preorder[i];
    retained[idom[v]] += retained[v];
  }
  return retained;
}

/** Children lists of the dominator tree (CSR). */
export function dominatorChildren(n: number, idom: Int32Array, pool: BufferPool = new BufferPool()): { start: Uint32Array; child: Uint32Array } {
  // Counts at each parent, inclusive prefix sums (each list's end), then filled backwards: `start` ends up holding
  // the starts, with no cursor array. Children come out in increasing node order.
  const start = pool.u32(n + 2);
  for (let v = 0; v < n; v++) if (idom[v] >= 0) start[idom[v]]++;
  for (let i = 1; i <= n + 1; i++) start[i] += start[i - 1];
  const child = pool.u32(start[n + 1], false);
  for (let v = n - 1; v >= 0; v--) if (idom[v] >= 0) child[--start[idom[v]]] = v;
  return { start, child };
}

/**
 * Retained size per class = retained size of the set of all its instances: sum over instances that have no
 * dominator-tree ancestor of the same class (those are already inside an ancestor's retained size).
 */
export function classRetained(
  n: number,
  classes: number,
  cls: Int32Array,
  retained: Uint32Array,
  kids: { start: Uint32Array; child: Uint32Array },
  unit = 1,
): Float64Array {
  const out = new Float64Array(classes);
  const active = new Int32Array(classes);
  // Stacks as deep as the dominator tree: usually shallow, so they start small and double (a chain can need n).
  let stackNode = new Uint32Array(Math.min(n + 1, 1 << 16));
  let stackCur = new Uint32Array(stackNode.length);
  let sp = 0;
  stackNode[0] = n;
  stackCur[0] = kids.start[n];
  sp = 1;
  while (sp > 0) {
    const v = stackNode[sp - 1];
    const c = stackCur[sp - 1];
    if (c < kids.start[v + 1]) {
      stackCur[sp - 1] = c + 1;
      const w = kids.child[c];
      const k = cls[w];
      if (active[k] === 0) out[k] += retained[w] * unit;
      active[k]++;
      if (sp === stackNode.length) {
        const bn = new Uint32Array(Math.min(n + 1, sp * 2));
        bn.set(stackNode);
        stackNode = bn;
        const bc = new Uint32Array(bn.length);
        bc.set(stackCur);
        stackCur = bc;
      }
      stackNode[sp] = w;
      stackCur[sp] = kids.start[w];
      sp++;
    } else {
      if (v !== n) active[cls[v]]--;
      sp--;
    }
  }
  return out;
}

/**
 * Breadth-first search from all GC roots, skipping `Reference.referent` edges (as MAT's path queries do).
 * Returns the BFS parent of every node: −2 for a root, −1 for unreached.
 */
export function shortestPathParents(g: ObjectGraph, pool: BufferPool = new BufferPool()): Int32Array {
  const { n, starts, edges, classNode, cls, roots, weak } = g;
  const par = pool.i32(n, false).fill(-1);
  const queue = pool.u32(n, false);
  let head = 0;
  let tail = 0;
  for (let k = 0; k < roots.length; k++) {
    const r = roots[k];
    if (par[r] === -1) {
      par[r] = -2;
      queue[tail++] = r;
    }
  }
  while (head < tail) {
    const v = queue[head++];
    const c = classNode[cls[v]];
    if (c >= 0 && par[c] === -1) {
      par[c] = v;
      queue[tail++] = c;
    }
    let e = starts[v + 1];
    if ((weak[v >>> 5] >>> (v & 31)) & 1) e--;
    for (let k = starts[v]; k < e; k++) {
      const w = edges[k];
      if (par[w] === -1) {
        par[w] = v;
        queue[tail++] = w;
      }
    }
  }
  pool.give(queue);
  return par;
}
