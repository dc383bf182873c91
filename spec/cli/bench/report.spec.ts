import type { LatencySummary } from '../../../cli/bench/histogram.js';
import { formatMs, formatSummary, orderVerdict, progressLine, type SubSummary } from '../../../cli/bench/report.js';

const latency: LatencySummary = { count: 3, p50: 0.41234, p99: 1.2, max: 1.5, mean: 0.7 };
const sub: SubSummary = {
  bench: 'sub', clients: 2, connected: 2, connectFailures: 0, reconnects: 0, dropped: 0, errors: 0, durationMs: 1234.5678,
  connectLatencyMs: latency, qos: 1, received: 40, foreign: 0, publishers: 2, openEnded: 0, lost: 0, duplicated: 0, outOfOrder: 0, msgsPerSec: 190.54, latencyMs: latency,
};

describe('bench report', () => {
  it('says when nothing was lost, duplicated or reordered, and counts what was', () => {
    expect(orderVerdict(sub)).toBe('ok: none lost, duplicated or out of order (2 publishers)');
    expect(orderVerdict({ ...sub, lost: 3, duplicated: 1, publishers: 1 })).toBe('NOT OK: 3 lost, 1 duplicated, 0 out of order (1 publisher)');
    // A publisher bounded by time announced no total: what it sent after the last arrival is unknown.
    expect(orderVerdict({ ...sub, openEnded: 1 })).toBe('ok: none lost, duplicated or out of order (2 publishers, up to the last received of publishers bounded by time)');
  });

  it('prints one JSON line with numbers rounded to the µs', () => {
    const line = formatSummary(sub, 'json');
    expect(line.endsWith('}\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ durationMs: 1234.568, latencyMs: { p50: 0.412 }, received: 40 });
  });

  it('prints a table with aligned values', () => {
    const table = formatSummary({ ...sub, firstError: 'Subscription to "x" refused (code 135)', errors: 1 }, 'text').split('\n');
    expect(table).toEqual(
      expect.arrayContaining([
        'bench sub        2 clients (2 connected, 0 failed)',
        'received         40 in 1.23 s (191 msg/s), QoS 1',
        'latency          p50 0.412 ms  p99 1.2 ms  max 1.5 ms',
        'errors           1 (first: Subscription to "x" refused (code 135))',
      ]),
    );
  });

  it('writes milliseconds with about three significant digits', () => {
    expect([0, 0.012345, 0.41234, 12.345, 123.4, 1234.5].map(formatMs)).toEqual(['0', '0.0123', '0.412', '12.3', '123', '1235']);
  });

  it('shows in flight and latency on the progress line only when known', () => {
    expect(progressLine({ elapsedMs: 2500, done: 10, noun: 'sent', perSec: 4, inFlight: 2, latency, errors: 0, reconnects: 1 })).toBe(
      '2.5s  sent 10  4/s  in flight 2  p50 0.412 ms p99 1.2 ms  errors 0  reconnects 1',
    );
    expect(progressLine({ elapsedMs: 0, done: 0, noun: 'connected', perSec: 0, errors: 0, reconnects: 0 })).toBe('0.0s  connected 0  0/s  errors 0  reconnects 0');
  });
});
