/**
 * The package as `npm pack` makes it, from a copy of this working tree (the files git tracks or
 * would track): the copy is built by the package's own `prepack`, so the repository's dist/, which
 * other specs read, is never deleted under them, and what is checked is what a clean checkout packs.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const repoRoot = resolve('.');

/**
 * A temporary folder with no node_modules in it or above it, for projects whose installs must
 * be exactly what they hold: Node looks for packages in every parent folder's node_modules, and a
 * shared machine may have one in /tmp.
 */
export function isolatedTmpdir(): string {
  const candidates = [tmpdir(), '/var/tmp', '/dev/shm', homedir()];
  const clean = (dir: string): boolean => !existsSync(join(dir, 'node_modules')) && (dirname(dir) === dir || clean(dirname(dir)));
  const found = candidates.find((dir) => existsSync(dir) && clean(resolve(dir)));
  if (!found) throw new Error(`no temporary folder without a node_modules above it among ${candidates.join(', ')}`);
  return found;
}

export interface Packed {
  /** The .tgz file. */
  tarball: string;
  /** Paths inside the package, as `npm pack --json` lists them (`dist/esm/lib/index.js`, ...). */
  files: string[];
  /** The copy of the working tree the tarball was packed from (a path to look for in its files). */
  stage: string;
  /** Removes the copy and the tarball. */
  remove(): void;
}

/** Packs a copy of the working tree; takes about as long as `npm run build`. */
export async function packWorkingTree(): Promise<Packed> {
  const stage = mkdtempSync(join(tmpdir(), 'rxmqtt-stage-'));
  const out = mkdtempSync(join(tmpdir(), 'rxmqtt-packed-'));
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' });
  for (const path of listed.split('\0')) {
    // A file deleted in the working tree but still in the index is not part of it.
    if (!path || !existsSync(join(repoRoot, path)) || path === 'node_modules') continue;
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    cpSync(join(repoRoot, path), join(stage, path));
  }
  // The build's tools (tsc, esbuild) and the bundles' inputs come from the checkout's install.
  symlinkSync(join(repoRoot, 'node_modules'), join(stage, 'node_modules'));
  // Asynchronous: a spec's in-process broker keeps serving while the build runs.
  const { stdout } = await promisify(execFile)('npm', ['pack', '--json', '--pack-destination', out], {
    cwd: stage,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  // The prepack build may print before npm's JSON report, which starts a line with '['.
  const [report] = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return {
    tarball: join(out, report.filename),
    files: report.files.map((file) => file.path),
    stage,
    remove: () => {
      rmSync(stage, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    },
  };
}

/**
 * Unpacks `tarball` as `<project>/node_modules/rxmqtt` and links every package of the checkout's
 * node_modules beside it, but those in `without`: an install with no registry.
 */
export function unpackInto(project: string, tarball: string, without: string[] = []): string {
  const modules = join(project, 'node_modules');
  const pkg = join(modules, 'rxmqtt');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
    // Packages only: a stray node_modules/node_modules would be searched by Node's ESM resolver too.
    if (name === 'node_modules' || name === 'rxmqtt' || name.startsWith('.') || without.includes(name)) continue;
    symlinkSync(join(repoRoot, 'node_modules', name), join(modules, name));
  }
  return pkg;
}
