import { LatencyHistogram } from '../../../cli/bench/histogram.js';

describe('LatencyHistogram', () => {
  it('reports zeros when nothing was recorded', () => {
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, p50: 0, p99: 0, max: 0, mean: 0 });
  });

  it('gives percentiles within 1% of the exact value', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) histogram.record(ms / 10);
    const { count, p50, p99, max, mean } = histogram.summary();
    expect(count).toBe(1000);
    expect(Math.abs(p50 - 50) / 50).toBeLessThanOrEqual(0.01);
    expect(Math.abs(p99 - 99) / 99).toBeLessThanOrEqual(0.01);
    expect(max).toBe(100);
    expect(mean).toBeCloseTo(50.05, 6);
  });

  it('never reports a percentile above the largest value', () => {
    const histogram = new LatencyHistogram();
    histogram.record(3.3);
    expect(histogram.percentile(0.99)).toBe(3.3);
  });

  it('counts a negative latency (two processes, two clocks) as 0', () => {
    const histogram = new LatencyHistogram();
    histogram.record(-0.2);
    expect(histogram.summary()).toEqual({ count: 1, p50: 0, p99: 0, max: 0, mean: 0 });
  });
});
