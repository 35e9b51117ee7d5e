/**
 * Public shapes of the heap-dump analyzer. Sizes are bytes, ids are hex strings ("0x…") because HPROF ids are raw
 * 64-bit addresses that a JSON number cannot always carry.
 */

import type { HeapSummary, HistogramRow } from '../../core/kinds/heap-report.js';

export type {
  HeapSummary,
  HistogramRow,
  PathStep,
  BiggestObject,
  AccumulationPoint,
  LeakSuspect,
  DuplicateString,
  LargeArray,
  EmptyCollections,
  JvmSettings,
  HeapReport,
} from '../../core/kinds/heap-report.js';

/** What could be read before a dump turned out to be truncated or corrupt. */
export interface PartialHeapResult {
  summary: Pick<HeapSummary, 'objects' | 'shallowBytes' | 'classes' | 'idSize'>;
  histogram: Array<Omit<HistogramRow, 'retainedBytes'>>;
}

/** A dump that is not HPROF, is truncated, or has a record that cannot be decoded. */
export class HeapDumpError extends Error {
  override readonly name = 'HeapDumpError';
  constructor(
    message: string,
    /** Byte offset (in the uncompressed stream) where the problem was found. */
    readonly offset: number,
    /** Histogram of the objects read before `offset`; null when nothing useful was read. */
    readonly partial: PartialHeapResult | null,
  ) {
    super(message);
  }
}

export interface AnalyzeHeapOptions {
  /** Called with the share of the work done, 0..1, measured as the share of the file read across both passes. */
  onProgress?: (fractionRead: number) => void;
  /** Worker threads for the edge pass (default: 2 when the dump is a plain file over 64 MB, else 1). */
  threads?: number;
  /**
   * Called after each pass with its wall seconds, the CPU seconds of the whole process (all threads) in it, and the
   * bytes of fresh (never touched before) memory the analysis has taken so far.
   */
  onPass?: (name: string, wallSeconds: number, cpuSeconds: number, freshBytes: number) => void;
}
