import type { BiggestObject, DuplicateString, HeapReport, HeapSummary, HistogramRow, LeakSuspect } from './types.js';

/** The `medic analyze heap --json` document: exactly these keys, in this order. */
export interface HeapReportJson {
  summary: HeapSummary;
  histogram: HistogramRow[];
  biggestObjects: BiggestObject[];
  leakSuspects: LeakSuspect[];
  duplicateStrings: DuplicateString[];
  seconds: Record<string, number>;
}

export function toHeapReportJson(r: HeapReport): HeapReportJson {
  const s = r.summary;
  return {
    summary: { objects: s.objects, shallowBytes: s.shallowBytes, classes: s.classes, gcRoots: s.gcRoots, idSize: s.idSize, compressedOops: s.compressedOops },
    histogram: r.histogram.map((h) => ({ className: h.className, instances: h.instances, shallowBytes: h.shallowBytes, retainedBytes: h.retainedBytes })),
    biggestObjects: r.biggestObjects.slice(0, 20),
    leakSuspects: r.leakSuspects,
    duplicateStrings: r.duplicateStrings,
    seconds: r.seconds,
  };
}
