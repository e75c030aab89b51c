/**
 * HDR-like latency histogram over integer microseconds: exact below 256 µs, then 128
 * log-linear sub-buckets per power of two (< 0.8 % error), fixed memory, O(1) record.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const LINEAR = SUB * 2; // values below this are exact
const MAX_SHIFT = 26; // up to ~2^33 µs (2.4 h), clamped above

export class Histogram {
  private readonly counts = new Float64Array(LINEAR + MAX_SHIFT * SUB);
  count = 0;
  private sum = 0;
  private minV = Infinity;
  private maxV = 0;

  /** Records one value in milliseconds (fractional). */
  recordMs(ms: number): void {
    this.record(Math.max(0, Math.round(ms * 1000)));
  }

  /** Records one value in microseconds. */
  record(us: number): void {
    this.count++;
    this.sum += us;
    if (us < this.minV) this.minV = us;
    if (us > this.maxV) this.maxV = us;
    this.counts[Histogram.index(us)]++;
  }

  private static index(v: number): number {
    if (v < LINEAR) return v;
    const magnitude = v < 2 ** 31 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
    let shift = magnitude - SUB_BITS;
    if (shift > MAX_SHIFT) shift = MAX_SHIFT;
    const top = Math.min(Math.floor(v / 2 ** shift), 2 * SUB - 1);
    return LINEAR + (shift - 1) * SUB + (top - SUB);
  }

  /** The middle of bucket `i`, in µs. */
  private static value(i: number): number {
    if (i < LINEAR) return i;
    const shift = Math.floor((i - LINEAR) / SUB) + 1;
    const top = ((i - LINEAR) % SUB) + SUB;
    const width = 2 ** shift;
    return top * width + width / 2;
  }

  /** Percentile in ms (p in 0..100), or null without samples. */
  percentileMs(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(Histogram.value(i), this.maxV) / 1000;
    }
    return this.maxV / 1000;
  }

  summary(): LatencySummary {
    const r = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
    return {
      count: this.count,
      minMs: this.count ? r(this.minV / 1000) : null,
      meanMs: this.count ? r(this.sum / this.count / 1000) : null,
      p50Ms: r(this.percentileMs(50)),
      p95Ms: r(this.percentileMs(95)),
      p99Ms: r(this.percentileMs(99)),
      p999Ms: r(this.percentileMs(99.9)),
      maxMs: this.count ? r(this.maxV / 1000) : null,
    };
  }
}

export interface LatencySummary {
  count: number;
  minMs: number | null;
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
}
