/** Append-only typed arrays that double their capacity: per-object data is collected before the count is known. */

type TA = Float64Array | Uint32Array | Int32Array | Uint8Array;
type Ctor<T extends TA> = { new (n: number): T };

export class Growable<T extends TA> {
  data: T;
  length = 0;
  /**
   * With `alloc`/`release` (a BufferPool's), the arrays come from and go back to the pool: big columns then never
   * sit in the malloc heap, which keeps freed memory resident.
   */
  constructor(
    ctor: Ctor<T>,
    initial = 1024,
    private readonly alloc: (n: number) => T = (n) => new ctor(n),
    private readonly release: (a: T) => void = () => undefined,
  ) {
    this.data = alloc(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }
  grow(min: number): void {
    let n = this.data.length * 2;
    while (n < min) n *= 2;
    const next = this.alloc(n);
    next.set(this.data.subarray(0, this.length) as never);
    this.release(this.data);
    this.data = next;
  }
  /**
   * The filled part as a view (no copy): copying would hold both arrays at the peak of pass 1, which costs more
   * than the spare capacity the view keeps alive.
   */
  trimmed(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/**
 * Open-addressing map from an HPROF id (a number < 2^53) to an int. Used for class ids, looked up once per object
 * in the first pass, where a JS Map costs noticeably more.
 */
export class IdIntMap {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;
  constructor(capacity = 4096) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.keys = new Float64Array(n).fill(-1);
    this.vals = new Int32Array(n);
    this.mask = n - 1;
  }
  private slot(k: number): number {
    // Ids are aligned addresses: mix high and low words so consecutive ids spread.
    const lo = k >>> 0;
    const hi = (k / 4294967296) >>> 0;
    return (Math.imul(lo ^ (lo >>> 15) ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) & this.mask;
  }
  get(k: number): number {
    let i = this.slot(k);
    for (;;) {
      const kk = this.keys[i];
      if (kk === k) return this.vals[i];
      if (kk === -1) return -1;
      i = (i + 1) & this.mask;
    }
  }
  set(k: number, v: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.rehash();
    let i = this.slot(k);
    for (;;) {
      const kk = this.keys[i];
      if (kk === k) {
        this.vals[i] = v;
        return;
      }
      if (kk === -1) {
        this.keys[i] = k;
        this.vals[i] = v;
        this.size++;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }
  private rehash(): void {
    const ok = this.keys;
    const ov = this.vals;
    this.keys = new Float64Array(ok.length * 2).fill(-1);
    this.vals = new Int32Array(ok.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < ok.length; i++) if (ok[i] !== -1) this.set(ok[i], ov[i]);
  }
}
