/**
 * Every relative link of the documentation resolves: README.md, the guides (docs/*.md) and the
 * other READMEs of the repository, files and `#headings` both. The packed tarball's README and
 * guides are checked inside the package by spec/package/pack.spec.ts.
 */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { anchorsOf, brokenLinks, linksOf, slug } from '../helpers/markdown-links.js';

const root = resolve(dirname(expect.getState().testPath!), '../..');
const guides = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
const pages = ['README.md', 'CHANGELOG.md', 'bench/README.md', 'examples/angular/README.md', ...guides];

describe('the documentation links', () => {
  it('find the guides and their links', () => {
    expect(guides.length).toBeGreaterThanOrEqual(9);
    expect(linksOf(root, 'README.md').filter((link) => link.target.startsWith('docs/')).length).toBeGreaterThanOrEqual(9);
  });

  it('resolve, files and headings, in every page', () => {
    expect(brokenLinks(root, pages)).toEqual([]);
  });
});

describe('the link checker', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxmqtt-links-'));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(
      join(dir, 'README.md'),
      [
        '# Title',
        '## Persistent session across `end()`',
        '## Twice',
        '## Twice',
        'Fine: [a](docs/guide.md), [b](docs/guide.md#tls-mqtts-tls-ssl), [c](#twice-1), [d](#persistent-session-across-end), [e](https://example.com/x).',
        'Broken: [f](docs/missing.md), [g](docs/guide.md#nope), [h](#twice-2), [i](../outside.md).',
        '`[not a link](nowhere.md)`',
        '```md',
        '[not a link either](nowhere.md)',
        '```',
        '[ref]: docs/gone.md',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'docs', 'guide.md'), '# Guide\n\n### TLS (mqtts://, tls://, ssl://)\n\n[back](../README.md#title)\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes GitHub slugs', () => {
    expect(slug('TLS (mqtts://, tls://, ssl://)')).toBe('tls-mqtts-tls-ssl');
    expect(slug('Persistent session across `end()`')).toBe('persistent-session-across-end');
    expect(slug('One connection for every tab')).toBe('one-connection-for-every-tab');
    expect([...anchorsOf(join(dir, 'README.md'))]).toEqual(['title', 'persistent-session-across-end', 'twice', 'twice-1']);
  });

  it('reports missing files, missing headings, links that leave the root, and nothing in code', () => {
    expect(brokenLinks(dir, ['README.md', 'docs/guide.md']).map((entry) => entry.replace(/ \(outside .*\)$/, ' (outside)'))).toEqual([
      'README.md:6: docs/missing.md (no such file)',
      'README.md:6: docs/guide.md#nope (no such heading)',
      'README.md:6: #twice-2 (no such heading)',
      'README.md:6: ../outside.md (outside)',
      'README.md:11: docs/gone.md (no such file)',
    ]);
  });
});
