// Packs rxmqtt as npm would publish it and puts the tarball where the example apps install it
// from: examples/angular/vendor/rxmqtt.tgz (their package.json: "rxmqtt": "file:vendor/rxmqtt.tgz").
// A fixed name, so the apps' package.json and lockfile do not change with the version.
//
// It also drops the tarball's `integrity` from each app's package-lock.json (npm writes one on
// every `npm install`). The tarball changes with every change to lib/, and npm uses that hash as
// its cache key: with a stale one, `npm ci` installs whatever tarball its cache holds under the
// hash (an older rxmqtt, silently) instead of vendor/rxmqtt.tgz. Without it, npm reads the file.
//
// Packs the dist/ that `npm run build` made (building it first if it is missing), without running
// `prepack` again: CI has just built it, and a second build would only cost time. After changing
// lib/, run `npm run build` before this script.
//
// Usage: node scripts/pack-for-examples.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Each app's folder: the tarball goes to its vendor/. */
const apps = ['examples/angular'];
// What the package's exports point at; if any is missing, the tarball would be broken.
const built = ['dist/browser/rxmqtt.js', 'dist/esm/lib/index.js', 'dist/cjs/lib/index.js', 'dist/cli/rxmqtt.mjs'];

if (built.some((file) => !existsSync(join(root, file)))) {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}

/** Removes the `integrity` of node_modules/rxmqtt from the app's lockfile, if it has one. */
function forgetTarballHash(app) {
  const lockfile = join(root, app, 'package-lock.json');
  if (!existsSync(lockfile)) return;
  const lock = JSON.parse(readFileSync(lockfile, 'utf8'));
  const entry = lock.packages?.['node_modules/rxmqtt'];
  if (entry?.integrity === undefined) return;
  delete entry.integrity;
  // npm's own layout: two-space indent and a final newline.
  writeFileSync(lockfile, JSON.stringify(lock, null, 2) + '\n');
  console.log(`dropped the rxmqtt tarball's integrity from ${app}/package-lock.json`);
}

for (const app of apps) {
  const destination = `${app}/vendor`;
  const folder = join(root, destination);
  mkdirSync(folder, { recursive: true });
  const report = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', folder], { cwd: root, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(report);
  renameSync(join(folder, filename), join(folder, 'rxmqtt.tgz'));
  console.log(`packed ${filename} as ${destination}/rxmqtt.tgz`);
  forgetTarballHash(app);
}
