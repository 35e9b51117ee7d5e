/**
 * Report shapes of the heap-dump analyzer (src/analyzers/hprof), declared in src/core so cards can import them
 * without reaching into an analyzer. Sizes are bytes, ids are hex strings ("0x…") because HPROF ids are raw
 * 64-bit addresses that a JSON number cannot always carry.
 */

export interface HeapSummary {
  /** Objects in the dump: instances, arrays and class objects (MAT counts class objects too). */
  objects: number;
  /** Sum of modelled shallow sizes of all objects. */
  shallowBytes: number;
  /** Distinct classes (class dumps plus array classes the dump refers to without a class dump). */
  classes: number;
  /** Distinct objects that are GC roots (ROOT_* sub-records pointing at an object in the dump). */
  gcRoots: number;
  idSize: 4 | 8;
  compressedOops: boolean;
}

export interface HistogramRow {
  className: string;
  instances: number;
  shallowBytes: number;
  /** Retained size of the set of all instances of the class (MAT's "retained heap" column in the histogram). */
  retainedBytes: number;
}

/**
 * One step on a path from an object to a GC root, object end first. Each step names the referrer and the field of
 * the referrer that holds the previous step (or the object itself); the last step is the GC root.
 */
export interface PathStep {
  className: string;
  field: string;
}

export interface BiggestObject {
  objectId: string;
  className: string;
  shallowBytes: number;
  retainedBytes: number;
  pathToRoot: PathStep[];
}

export interface AccumulationPoint {
  objectId: string;
  className: string;
  shallowBytes: number;
  retainedBytes: number;
}

export interface LeakSuspect {
  /** `object`: one object retains ≥ threshold; `class`: the root-dominated instances of one class together do. */
  kind: 'object' | 'class';
  className: string;
  /** For `object` suspects the object; for `class` suspects the biggest instance. */
  objectId: string;
  instances: number;
  retainedBytes: number;
  /** Share of the reachable heap, 0..100. */
  percent: number;
  accumulationPoint: AccumulationPoint | null;
  pathToRoot: PathStep[];
}

export interface DuplicateString {
  /** The text, clipped to 120 characters. */
  value: string;
  count: number;
  /** (count − 1) × (shallow size of one String + its value array): what de-duplication would free. */
  wastedBytes: number;
}

export interface LargeArray {
  objectId: string;
  className: string;
  length: number;
  shallowBytes: number;
}

export interface EmptyCollections {
  className: string;
  /** Instances whose size is 0. */
  count: number;
  /** Shallow bytes of those instances plus their allocated but empty backing arrays. */
  wastedBytes: number;
}

export interface JvmSettings {
  /** `java.version`, `sun.java.command`, … read from `System.props` in the dump. Empty when not found. */
  systemProperties: Record<string, string>;
  /** Heap limit options found as strings in the heap (`-Xmx…`, `-XX:MaxHeapSize=…`, `-XX:MaxRAMPercentage=…`). */
  heapOptions: string[];
  /** The -Xmx value when one was found, e.g. "512m". */
  xmx: string | null;
  /** Where `xmx` was read: the JVM's input arguments kept as strings in the heap, or a system property. */
  xmxSource?: string;
  /**
   * The JVM's max heap in bytes when no -Xmx string is in the dump: `Runtime.maxMemory()` as the JDK saved it at
   * start-up (`jdk.internal.misc.VM.directMemory`, when -XX:MaxDirectMemorySize is not set). Null when unknown.
   */
  maxHeapBytes?: number | null;
}

export interface HeapReport {
  file: string;
  format: string;
  summary: HeapSummary;
  /** Objects not reachable from any GC root; MAT drops them. They are in the histogram, not in retained sizes. */
  unreachable: { objects: number; shallowBytes: number };
  /** Total shallow size of the objects reachable from GC roots (the base for suspect percentages). */
  reachableBytes: number;
  histogram: HistogramRow[];
  biggestObjects: BiggestObject[];
  leakSuspects: LeakSuspect[];
  duplicateStrings: DuplicateString[];
  largeArrays: LargeArray[];
  emptyCollections: EmptyCollections[];
  jvm: JvmSettings;
  warnings: string[];
  /** Wall-clock seconds per pass, plus `total`. */
  seconds: Record<string, number>;
}
