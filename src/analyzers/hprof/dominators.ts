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
  /** Reachable nodes in DFS preorder, virtual root first. */
  preorder: Uint32Array;
  /** The pool array `preorder` is a view of: give it back when `preorder` is dead. */
  vertex: Uint32Array;
}

/** SEMI-NCA (Georgiadis): Lengauer-Tarjan's semidominators without buckets, then a nearest-common-ancestor walk. */
export function computeDominators(g: ObjectGraph, pool: BufferPool = new BufferPool(), releaseGraph?: () => void): DominatorResult {
  const { n, starts, edges, classNode, cls, roots } = g;
  const num = pool.i32(n + 1); // node → preorder number (1-based), 0 = not visited
  const vertex = pool.u32(n + 2, false);
  const parent = pool.i32(n + 2);
  // DFS stacks: usually far shallower than n (a linked list can need n), so they start small and double, instead of
  // taking 8 bytes per object of fresh memory (page faults) from the pool.
  let stackNode = new Int32Array(Math.min(n + 1, 1 << 16));
  let stackCur = new Uint32Array(stackNode.length);
  const CLASS_NEXT = 0xffffffff; // edge indices stay below 0xFFFFFFF0
  let count = 0;
  // Cursor CLASS_NEXT = the implicit class edge is next; otherwise an index into edges (or roots for the virtual root).
  let sp = 0;
  num[n] = ++count;
  vertex[count] = n;
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
    } else if (c === CLASS_NEXT) {
      w = classNode[cls[v]];
      stackCur[sp - 1] = starts[v];
    } else if (c < starts[v + 1]) {
      w = edges[c];
      stackCur[sp - 1] = c + 1;
    } else {
      sp--;
      continue;
    }
    if (w >= 0 && num[w] === 0) {
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
  }
  const nr = count;
  stackNode = new Int32Array(0);
  stackCur = new Uint32Array(0);

  // Out-edges renamed to preorder numbers once (in place when the caller frees the graph after this, else in a copy),
  // so that the two passes below read no `num` (one random access per edge instead of two) and `num` goes back to
  // the pool before the predecessor lists, the peak of memory, are allocated.
  const en = releaseGraph ? edges : edges.slice();
  for (let k = 0, e = en.length; k < e; k++) en[k] = num[en[k]];
  const classNum = new Int32Array(classNode.length);
  for (let k = 0; k < classNode.length; k++) classNum[k] = classNode[k] >= 0 ? num[classNode[k]] : 0;
  const rootNum = new Uint32Array(roots.length);
  for (let k = 0; k < roots.length; k++) rootNum[k] = num[roots[k]];
  pool.give(num);

  // Predecessors in preorder-number space, reachable nodes only. Counts, then inclusive prefix sums (the end of
  // each list), then filled backwards so predStart ends up holding the starts: no separate cursor array.
  const predStart = pool.u32(nr + 2);
  for (let i = 1; i <= nr; i++) {
    const v = vertex[i];
    if (v === n) {
      for (let k = 0; k < rootNum.length; k++) predStart[rootNum[k]]++;
      continue;
    }
    const c = classNum[cls[v]];
    if (c > 0) predStart[c]++;
    for (let k = starts[v], e = starts[v + 1]; k < e; k++) predStart[en[k]]++;
  }
  for (let i = 1; i <= nr + 1; i++) predStart[i] += predStart[i - 1];
  const preds = pool.u32(predStart[nr + 1], false);
  for (let i = nr; i >= 1; i--) {
    const v = vertex[i];
    if (v === n) {
      for (let k = 0; k < rootNum.length; k++) preds[--predStart[rootNum[k]]] = i;
      continue;
    }
    const c = classNum[cls[v]];
    if (c > 0) preds[--predStart[c]] = i;
    for (let k = starts[v], e = starts[v + 1]; k < e; k++) preds[--predStart[en[k]]] = i;
  }
  // The graph's edges are not read after this point: let the caller free them for the arrays below.
  releaseGraph?.();

  // semi and label: two arrays, each fits the range the graph's starts or edges just left (the retained sizes that
  // come next as a Float64Array take the freed predecessor lists).
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
  const idom = pool.i32(n + 1, false).fill(-1);
  for (let i = 2; i <= nr; i++) idom[vertex[i]] = vertex[idomNum[i]];
  idom[n] = n;
  pool.give(parent);
  const preorder = vertex.subarray(1, nr + 1);
  return { idom, preorder, vertex };
}

/** Retained size of every node: its shallow size plus what it dominates (reverse preorder accumulation). */
export function computeRetained(n: number, dom: DominatorResult, shallow: Uint32Array, pool: BufferPool = new BufferPool()): Float64Array {
  const retained = pool.f64(n + 1);
  const { idom, preorder } = dom;
  for (let i = 1; i < preorder.length; i++) retained[preorder[i]] = shallow[preorder[i]];
  for (let i = preorder.length - 1; i >= 1; i--) {
    const v = preorder[i];
    retained[idom[v]] += retained[v];
  }
  return retained;
}

/** Children lists of the dominator tree (CSR). */
export function dominatorChildren(n: number, idom: Int32Array, pool: BufferPool = new BufferPool()): { start: Uint32Array; child: Uint32Array } {
  const start = pool.u32(n + 2);
  for (let v = 0; v < n; v++) if (idom[v] >= 0) start[idom[v] + 1]++;
  for (let i = 1; i <= n + 1; i++) start[i] += start[i - 1];
  const child = pool.u32(start[n + 1], false);
  const fill = pool.u32(n + 1, false);
  fill.set(start.subarray(0, n + 1));
  for (let v = 0; v < n; v++) if (idom[v] >= 0) child[fill[idom[v]]++] = v;
  pool.give(fill);
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
  retained: Float64Array,
  kids: { start: Uint32Array; child: Uint32Array },
  pool: BufferPool = new BufferPool(),
): Float64Array {
  const out = new Float64Array(classes);
  const active = new Int32Array(classes);
  const stackNode = pool.u32(n + 1, false);
  const stackCur = pool.u32(n + 1, false);
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
      if (active[k] === 0) out[k] += retained[w];
      active[k]++;
      stackNode[sp] = w;
      stackCur[sp] = kids.start[w];
      sp++;
    } else {
      if (v !== n) active[cls[v]]--;
      sp--;
    }
  }
  pool.give(stackNode, stackCur);
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
