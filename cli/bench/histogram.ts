/**
 * A latency histogram with logarithmic buckets (1% wide): constant memory however long the run,
 * percentiles within 1% of the exact value. Pure: the caller measures, this only counts.
 */

/** Smallest distinct value, in ms (1 µs); anything below lands in the first bucket. */
const FLOOR_MS = 0.001;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);

/** Percentiles and extremes, in ms; all 0 when nothing was recorded. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export class LatencyHistogram {
  private readonly buckets: number[] = [];
  private recorded = 0;
  private sum = 0;
  private largest = 0;

  /** Records one latency in ms; a negative one (clocks of two processes) counts as 0. */
  record(ms: number): void {
    const value = ms > 0 && Number.isFinite(ms) ? ms : 0;
    const index = value <= FLOOR_MS ? 0 : Math.ceil(Math.log(value / FLOOR_MS) / LOG_GROWTH);
    while (this.buckets.length <= index) this.buckets.push(0);
    this.buckets[index]!++;
    this.recorded++;
    this.sum += value;
    if (value > this.largest) this.largest = value;
  }

  get count(): number {
    return this.recorded;
  }

  /**
   * The latency under which `fraction` of the recorded ones fall (upper edge of its bucket,
   * never above the largest recorded).
   *
   * @param fraction 0..1, e.g. 0.99.
   */
  percentile(fraction: number): number {
    if (this.recorded === 0) return 0;
    const rank = Math.max(1, Math.ceil(fraction * this.recorded));
    let seen = 0;
    for (let index = 0; index < this.buckets.length; index++) {
      seen += this.buckets[index]!;
      if (seen >= rank) return Math.min(FLOOR_MS * GROWTH ** index, this.largest);
    }
    return this.largest;
  }

  summary(): LatencySummary {
    return {
      count: this.recorded,
      p50: this.percentile(0.5),
      p99: this.percentile(0.99),
      max: this.largest,
      mean: this.recorded === 0 ? 0 : this.sum / this.recorded,
    };
  }
}
