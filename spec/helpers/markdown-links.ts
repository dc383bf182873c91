/**
 * The relative links of markdown files, checked the way GitHub and npm render them: a link to a
 * file must name a file that exists beside the page, and a `#fragment` must name a heading of
 * its target page (GitHub's slugs). External links (`https:`, `mailto:`) are not followed: CI has
 * no internet, and they are not ours to keep alive.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface MarkdownLink {
  /** The page, relative to the checked root. */
  page: string;
  line: number;
  target: string;
}

/** Inline links and images (`[text](target "title")`, `![alt](target)`) and reference definitions. */
const INLINE = /!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const DEFINITION = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/;

/**
 * The lines of a page outside fenced code blocks: `raw`, and `text` with inline code blanked out
 * (a link there is text).
 */
function proseLines(text: string): Array<{ line: number; raw: string; text: string }> {
  const lines: Array<{ line: number; raw: string; text: string }> = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(raw);
    if (fence) {
      if (opener && opener[1]!.startsWith(fence)) fence = undefined;
      return;
    }
    if (opener) {
      fence = opener[1]!;
      return;
    }
    lines.push({ line: i + 1, raw, text: raw.replace(/(`+)[^`]*?\1/g, (code) => ' '.repeat(code.length)) });
  });
  return lines;
}

export function linksOf(root: string, page: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { line, text } of proseLines(readFileSync(join(root, page), 'utf8'))) {
    for (const match of text.matchAll(INLINE)) links.push({ page, line, target: match[1]! });
    const definition = DEFINITION.exec(text);
    if (definition) links.push({ page, line, target: definition[1]! });
  }
  return links;
}

/** GitHub's anchor for a heading: lowercase, markup and punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text stays
    .replace(/[`*_~]/g, '')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a page offers: its headings' slugs (a repeated one gets `-1`, `-2`...) and `<a id/name>`. */
export function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { raw, text } of proseLines(readFileSync(file, 'utf8'))) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (heading) {
      const base = slug(heading[1]!);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const html of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(html[1]!);
  }
  return anchors;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The links of `pages` (relative to `root`) that do not resolve under `root`, as
 * `page:line: target (why)`. A link may not leave `root`: what is not in it is not shipped with it.
 */
export function brokenLinks(root: string, pages: string[]): string[] {
  const broken: string[] = [];
  for (const link of pages.flatMap((page) => linksOf(root, page))) {
    if (EXTERNAL.test(link.target)) continue;
    const [path = '', fragment] = link.target.split('#', 2);
    const file = path === '' ? join(root, link.page) : resolve(root, dirname(link.page), decodeURI(path));
    const where = `${link.page}:${link.line}: ${link.target}`;
    if (relative(root, file).startsWith('..')) broken.push(`${where} (outside ${relative(process.cwd(), root) || '.'})`);
    else if (!existsSync(file)) broken.push(`${where} (no such file)`);
    else if (fragment !== undefined && file.endsWith('.md') && !anchorsOf(file).has(fragment)) broken.push(`${where} (no such heading)`);
    else if (fragment !== undefined && !file.endsWith('.md') && statSync(file).isDirectory()) broken.push(`${where} (a folder has no headings)`);
  }
  return broken;
}
