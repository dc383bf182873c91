/**
 * `node bench/chart.mjs`: the bench's ratio chart, drawn from a trimmed copy of a real results
 * file (2026-12-07T11-30-19-889Z.trimmed.jsonl: K1 QoS 0 on both brokers, K4 QoS 1, K3 with
 * 10,000 filters, the packet-id gate, the bundle sizes, and the summary with their table).
 * The checks read the SVG as a reader sees it: which label sits beside which bar, where the bar
 * ends against the 1.0 rule, the number printed at its end, the caption. The expected ratios
 * come from the medians in that table, not from the bench's code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve('.');
const FIXTURE = join(root, 'spec', 'bench', '2026-12-07T11-30-19-889Z.trimmed.jsonl');
const run = promisify(execFile);

interface Expected {
  label: string;
  /** rxmqtt's and MQTT.js's medians as the table prints them */
  rx: number;
  other: number;
  /** which way the figure is good: msgs/s bars show MQTT.js / rxmqtt */
  better: 'lower' | 'higher';
  /** the number printed at the bar's end */
  text: string;
}

const K4 = 'K4 end-to-end QoS 1 (window 100), 64 B · mosquitto';
const K3 = 'K3 routing, 10,000 filters · mosquitto';
const BUNDLE = 'browser bundle rxmqtt.min.js vs mqtt.min.js';
const EXPECTED: Expected[] = [
  { label: 'K1 publish QoS 0, 64 B · mosquitto: publisher CPU µs/msg', rx: 1.26, other: 2.35, better: 'lower', text: '0.53' },
  { label: 'K1 publish QoS 0, 64 B · aedes: publisher CPU µs/msg', rx: 1.36, other: 2.11, better: 'lower', text: '0.64' },
  { label: `${K4}: end-to-end msgs/s`, rx: 17_562, other: 16_974, better: 'higher', text: '0.97 (1/1.03)' },
  { label: `${K4}: publisher CPU µs/msg`, rx: 26.58, other: 28.64, better: 'lower', text: '0.93' },
  { label: `${K4}: subscriber CPU µs/msg`, rx: 20.3, other: 20.65, better: 'lower', text: '0.98' },
  { label: `${K3}: delivered msgs/s vs MQTT.js + naive matcher`, rx: 37_820, other: 3_423, better: 'higher', text: '0.09 (1/11.05)' },
  { label: `${K3}: delivered msgs/s vs MQTT.js + trie`, rx: 37_820, other: 30_867, better: 'higher', text: '0.82 (1/1.23)' },
  { label: `${K3}: subscriber CPU µs/msg vs MQTT.js + naive matcher`, rx: 16.53, other: 208.47, better: 'lower', text: '0.08' },
  { label: `${K3}: subscriber CPU µs/msg vs MQTT.js + trie`, rx: 16.53, other: 19.95, better: 'lower', text: '0.83' },
  { label: `${K3}: subscribe phase ms vs MQTT.js + naive matcher`, rx: 342, other: 223, better: 'lower', text: '1.53' },
  { label: `${K3}: subscribe phase ms vs MQTT.js + trie`, rx: 342, other: 245, better: 'lower', text: '1.39' },
  { label: `${K3}: heap B per subscription vs MQTT.js + naive matcher`, rx: 971, other: 173, better: 'lower', text: '5.60' },
  { label: `${K3}: heap B per subscription vs MQTT.js + trie`, rx: 971, other: 612, better: 'lower', text: '1.59' },
  { label: `${BUNDLE}: minified bytes`, rx: 243_262, other: 342_341, better: 'lower', text: '0.71' },
  { label: `${BUNDLE}: gzipped bytes`, rx: 73_317, other: 105_510, better: 'lower', text: '0.69' },
];
const shown = (e: Expected): number => (e.better === 'lower' ? e.rx / e.other : e.other / e.rx);

// ---------------------------------------------------------------- reading the SVG

const decode = (s: string): string =>
  s.replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The inside of the first `<g class="...cls...">` and its descendants, up to the matching `</g>`. */
function group(svg: string, cls: string): string {
  const start = svg.search(new RegExp(`<g class="[^"]*${cls}[^"]*"`));
  if (start < 0) throw new Error(`no <g> of class ${cls}`);
  let depth = 0;
  const tag = /<g[\s>]|<\/g>/g;
  tag.lastIndex = start;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    depth += m[0] === '</g>' ? -1 : 1;
    if (depth === 0) return svg.slice(start, m.index);
  }
  throw new Error(`unclosed <g> of class ${cls}`);
}

interface Text {
  x: number;
  y: number;
  text: string;
}
const texts = (svg: string): Text[] =>
  [...svg.matchAll(/<text[^>]*transform="translate\(([-\d.e]+),([-\d.e]+)\)"[^>]*>(.*?)<\/text>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    text: decode(m[3].replace(/<[^>]+>/g, ' ')).trim(),
  }));

interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
}
const bars = (svg: string): Bar[] =>
  [...group(svg, 'bars_marks').matchAll(/<path[^>]* d="M([-\d.e]+),([-\d.e]+)h([-\d.e]+)v([-\d.e]+)h[^"]*"/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    width: Number(m[3]),
    height: Number(m[4]),
  }));

/** The y-axis labels: the axis whose aria-label names the Y axis. */
function yLabels(svg: string): Text[] {
  const at = svg.indexOf('aria-label="Y-axis');
  if (at < 0) throw new Error('no Y axis');
  return texts(group(svg.slice(at - 200), 'role-axis-label'));
}

/** The text nearest to `y` (a bar's middle) among `list`, within half a row. */
function beside(list: Text[], y: number): Text | undefined {
  const near = list.filter((t) => Math.abs(t.y - y) < 6).sort((a, b) => Math.abs(a.y - y) - Math.abs(b.y - y));
  return near[0];
}

// ---------------------------------------------------------------- the chart

describe('node bench/chart.mjs (the ratio chart of a bench results file)', () => {
  let dir: string;
  let svg: string;
  let stdout: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxmqtt-chart-'));
    const out = join(dir, 'chart.svg');
    ({ stdout } = await run(process.execPath, ['bench/chart.mjs', FIXTURE, '--out', out], { cwd: root }));
    svg = readFileSync(out, 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints where it wrote the chart and how many bars it drew', () => {
    expect(stdout).toContain(`chart.svg (${EXPECTED.length} bars)`);
  });

  it('draws one bar per table row and broker, labelled with its scenario, broker and metric', () => {
    const labels = yLabels(svg);
    const drawn = bars(svg).map((b) => beside(labels, b.y + b.height / 2)?.text);
    expect(drawn).toEqual(EXPECTED.map((e) => e.label));
  });

  it('leaves the correctness gates out, and says so', () => {
    expect(yLabels(svg).some((t) => t.text.includes('Gate'))).toBe(false);
    expect(svg).toMatch(/Not charted: correctness gates/);
  });

  it('draws a rule at 1.0, where every bar starts: left of it when rxmqtt did better, right when MQTT.js did', () => {
    const rule = /class="mark-rule role-mark one_marks"[^]*?<line[^>]*transform="translate\(([-\d.e]+),/.exec(svg);
    expect(rule).not.toBeNull();
    const one = Number(rule![1]);
    const tick = texts(group(svg, 'role-axis-label')).find((t) => t.text === '1');
    expect(tick?.x).toBeCloseTo(one, 0);
    bars(svg).forEach((b, i) => {
      const r = shown(EXPECTED[i]);
      if (r < 1) expect(b.x + b.width).toBeCloseTo(one, 1);
      else expect(b.x).toBeCloseTo(one, 1);
    });
  });

  it('draws bar lengths in proportion to the log of the ratios, the same scale for every bar', () => {
    const drawn = bars(svg);
    const pxPerLog = drawn[0].width / Math.abs(Math.log(shown(EXPECTED[0])));
    drawn.forEach((b, i) => {
      const want = pxPerLog * Math.abs(Math.log(shown(EXPECTED[i])));
      // The table's medians are rounded: allow 1.5% and half a pixel.
      expect(Math.abs(b.width - want)).toBeLessThanOrEqual(0.5 + 0.015 * want);
    });
  });

  it("prints each bar's ratio in line with it (msgs/s inverted, with the table's ratio)", () => {
    const values = texts(group(svg, 'values_marks'));
    const printed = bars(svg).map((b) => beside(values, b.y + b.height / 2)?.text);
    expect(printed).toEqual(EXPECTED.map((e) => e.text));
  });

  it('says which way is better, and names the commit, date, mode, repetitions and load of the run', () => {
    const title = decode(svg);
    expect(title).toContain('below 1 means rxmqtt did better');
    expect(title).toContain('msgs/s: MQTT.js ÷ rxmqtt');
    expect(title).toContain('quick run, 5 reps per client');
    expect(title).toContain('rxmqtt 4b18eee');
    expect(title).toContain('2026-12-07 11:30 UTC');
    expect(title).toContain('1-min load average 2.8 at start');
  });

  it('has a white background, so it reads on a dark page too', () => {
    expect(svg).toMatch(/^<svg[^>]*><rect width="\d+" height="\d+" fill="white"\/>/);
  });

  it('fails, saying why, when no scenario has both an rxmqtt and an MQTT.js figure', async () => {
    const lines = readFileSync(FIXTURE, 'utf8').split('\n');
    const rxOnly = lines.filter((l) => l.startsWith('{"type":"env"') || (l.includes('"id":"K1"') && l.includes('"client":"rxmqtt"')));
    const file = join(dir, 'rx-only.jsonl');
    writeFileSync(file, rxOnly.join('\n') + '\n');
    await expect(run(process.execPath, ['bench/chart.mjs', file], { cwd: root })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no rxmqtt \/ MQTT\.js ratio to chart.*no ratio \(5 valid rxmqtt runs, 0 MQTT\.js\)/),
    });
  });
});
