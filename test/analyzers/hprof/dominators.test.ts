import { describe, expect, it } from 'vitest';
import { classRetained, computeDominators, computeRetained, dominatorChildren, shortestPathParents, type ObjectGraph } from '../../../src/analyzers/hprof/dominators.js';

/** A graph from an adjacency list; roots are the virtual root's children. No class edges (classNode −1). */
function graph(adj: number[][], roots: number[], weakLast: number[] = []): ObjectGraph {
  const n = adj.length;
  const starts = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) starts[v + 1] = starts[v] + adj[v].length;
  const weak = new Int32Array((n >>> 5) + 1);
  for (const v of weakLast) weak[v >>> 5] |= 1 << (v & 31);
  return { n, starts, edges: Uint32Array.from(adj.flat()), classNode: Int32Array.of(-1), cls: new Int32Array(n), roots: Uint32Array.from(roots), weak };
}

/** Dominators by definition: u dominates v when v is unreachable from the roots once u is removed. */
function bruteIdom(adj: number[][], roots: number[]): number[] {
  const n = adj.length;
  const reach = (skip: number): boolean[] => {
    const seen = new Array<boolean>(n).fill(false);
    const st = roots.filter((r) => r !== skip);
    for (const r of st) seen[r] = true;
    while (st.length) for (const w of adj[st.pop()!]) if (w !== skip && !seen[w]) (seen[w] = true), st.push(w);
    return seen;
  };
  const all = reach(-1);
  const doms: Array<Set<number>> = adj.map(() => new Set());
  for (let u = 0; u < n; u++) {
    const r = reach(u);
    for (let v = 0; v < n; v++) if (all[v] && !r[v] && v !== u) doms[v].add(u);
  }
  return adj.map((_, v) => {
    if (!all[v]) return -1;
    for (const d of doms[v]) if (doms[d].size === doms[v].size - 1) return d;
    return n; // only the virtual root dominates v
  });
}

describe('SEMI-NCA dominators', () => {
  it('matches the definition on the Lengauer-Tarjan paper graph', () => {
    // R=0 A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 I=9 J=10 K=11 L=12 (Lengauer & Tarjan 1979, figure 1)
    const adj = [[1, 2, 3], [4], [1, 4, 5], [6, 7], [12], [8], [9], [9, 10], [5, 11], [11], [9], [0, 9], [8]];
    const d = computeDominators(graph(adj, [0]));
    expect(Array.from(d.idom.subarray(0, adj.length))).toEqual(bruteIdom(adj, [0]));
    expect(d.idom[9]).toBe(0); // I is dominated by R only
  });

  it('matches the definition on 300 random graphs with several roots and unreachable parts', () => {
    let seed = 7;
    const rnd = (k: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
    for (let t = 0; t < 300; t++) {
      const n = 2 + rnd(40);
      const adj = Array.from({ length: n }, () => Array.from({ length: rnd(4) }, () => rnd(n)));
      const roots = [...new Set(Array.from({ length: 1 + rnd(3) }, () => rnd(n)))];
      const d = computeDominators(graph(adj, roots));
      expect(Array.from(d.idom.subarray(0, n))).toEqual(bruteIdom(adj, roots));
    }
  });

  it('matches the definition with class edges, roots among the referenced nodes and many single-referrer leaves', () => {
    // The search drops edges into roots and leaves out leaves with one referrer: graphs rich in both.
    let seed = 11;
    const rnd = (k: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
    for (let t = 0; t < 400; t++) {
      const n = 3 + rnd(50);
      const classes = 1 + rnd(4);
      // Leaves are common: about half the nodes reference nothing.
      const adj = Array.from({ length: n }, () => (rnd(2) === 0 ? [] : Array.from({ length: 1 + rnd(3) }, () => rnd(n))));
      const roots = [...new Set(Array.from({ length: 1 + rnd(4) }, () => rnd(n)))];
      const g = graph(adj, roots);
      g.cls = Int32Array.from({ length: n }, () => rnd(classes));
      // Some classes have a class object among the nodes (sometimes a root), others none.
      g.classNode = Int32Array.from({ length: classes }, () => (rnd(3) === 0 ? -1 : rnd(n)));
      const full = adj.map((out, v) => (g.classNode[g.cls[v]] >= 0 ? [g.classNode[g.cls[v]], ...out] : out));
      const expected = bruteIdom(full, roots);
      const d = computeDominators(g);
      expect(Array.from(d.idom.subarray(0, n))).toEqual(expected);
      // Retained sizes: a node's own size plus that of every node it dominates, by the definition.
      const shallow = Uint32Array.from({ length: n }, (_, v) => 8 + v);
      const retained = computeRetained(n, d, shallow);
      for (let v = 0; v < n; v++) {
        if (expected[v] < 0) continue;
        let sum = 0;
        for (let u = 0; u < n; u++) {
          let x = u;
          while (x >= 0 && x !== n && x !== v) x = expected[x];
          if (x === v) sum += shallow[u];
        }
        expect(retained[v]).toBe(sum);
      }
    }
  });

  it('hangs a class object that only its single instance references below that instance, and sums it there', () => {
    // 0 (root) → 1 → 2; 2 is an instance of class 0, whose class object 3 references nothing: 2 is a single-referrer
    // leaf but for its class edge, and 3 is reached only through 2.
    const g = graph([[1], [2], [], []], [0]);
    g.cls.set([1, 1, 0, 1]);
    g.classNode = Int32Array.of(3, -1);
    const d = computeDominators(g);
    expect(Array.from(d.idom.subarray(0, 4))).toEqual([4, 0, 1, 2]);
    const retained = computeRetained(4, d, Uint32Array.of(100, 20, 16, 8));
    expect(Array.from(retained.subarray(0, 5))).toEqual([144, 44, 24, 8, 144]);
    // In 4-byte units (sizes are multiples of 4 here), as the analyzer counts in 8-byte ones.
    expect(Array.from(computeRetained(4, d, Uint32Array.of(100, 20, 16, 8), 4).subarray(0, 5))).toEqual([36, 11, 6, 2, 36]);
  });

  it('handles a 300,000-deep chain without recursion and retains it all at the head', () => {
    const n = 300_000;
    const adj = Array.from({ length: n }, (_, v) => (v + 1 < n ? [v + 1] : []));
    const g = graph(adj, [0]);
    const d = computeDominators(g);
    const retained = computeRetained(n, d, new Uint32Array(n).fill(24));
    expect(retained[0]).toBe(24 * n);
    expect(retained[n - 1]).toBe(24);
    const kids = dominatorChildren(n, d.idom);
    expect(classRetained(n, 1, g.cls, retained, kids)[0]).toBe(24 * n);
    const par = shortestPathParents(g);
    expect(par[n - 1]).toBe(n - 2);
  });

  it('keeps weak referent edges for dominators but not for GC-root paths', () => {
    // 0 → 1 (strong), 2 → 1 (weak, last edge of 2), 0 → 2
    const g = graph([[2, 1], [], [1]], [0], [2]);
    expect(shortestPathParents(g)[1]).toBe(0);
    const g2 = graph([[2], [], [1]], [0], [2]);
    // Only reachable through the weak edge: still dominated (MAT keeps referents in the dominator tree) ...
    expect(computeDominators(g2).idom[1]).toBe(2);
    // ... but it has no strong path to a root.
    expect(shortestPathParents(g2)[1]).toBe(-1);
  });

  it('counts a class once where an instance is dominated by another instance of the same class', () => {
    // 0 (class 0) → 1 (class 0) → 2 (class 1)
    const g = graph([[1], [2], []], [0]);
    g.cls.set([0, 0, 1]);
    const d = computeDominators(g);
    const retained = computeRetained(3, d, Uint32Array.of(10, 20, 30));
    const byClass = classRetained(3, 2, g.cls, retained, dominatorChildren(3, d.idom));
    expect(Array.from(byClass)).toEqual([60, 30]);
  });
});
