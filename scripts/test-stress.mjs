#!/usr/bin/env node
// `npm run test:stress [-- jest args]`: the test suite while CPU-bound processes load the machine.
//
// A test that passes only on an idle machine is a flaky test: on a shared 2-core CI runner a
// child process takes seconds to start and a loopback round trip can stall behind other work.
// This runs exactly what `npm test` runs (same command, same environment, extra arguments passed
// through, e.g. `npm run test:stress -- spec/cli`) beside RXMQTT_STRESS_LOADERS (default 2) busy
// loops, one per core of the machines the suite is written for. Jest prints its own summary; the
// exit code is jest's.
//
// The loaders never outlive the run: they are killed when jest ends, when this script fails or is
// interrupted (SIGINT, SIGTERM, SIGHUP), and each one also exits by itself once this script is
// gone (it checks its parent between bursts), so even a SIGKILL of this script frees the cores.
import { spawn } from 'node:child_process';

const loaderCount = Number(process.env.RXMQTT_STRESS_LOADERS ?? 2);
if (!Number.isInteger(loaderCount) || loaderCount < 0) {
  console.error(`test:stress: RXMQTT_STRESS_LOADERS must be a whole number, got ${process.env.RXMQTT_STRESS_LOADERS}`);
  process.exit(2);
}

// Spins the CPU; between bursts of about 1e7 iterations, checks that its parent still lives.
const LOADER = `
const parent = Number(process.argv[1]);
for (;;) {
  for (let i = 0; i < 1e7; i++);
  try { process.kill(parent, 0); } catch { process.exit(0); }
}`;

const loaders = Array.from({ length: loaderCount }, () =>
  spawn(process.execPath, ['-e', LOADER, String(process.pid)], { stdio: 'ignore' }),
);

function stopLoaders() {
  for (const loader of loaders) if (loader.exitCode === null && loader.signalCode === null) loader.kill('SIGKILL');
}
process.on('exit', stopLoaders);

console.log(`test:stress: ${loaderCount} CPU-bound loader(s) running (pids ${loaders.map((l) => l.pid).join(', ') || 'none'})`);

// `npm test` itself, so the command and environment cannot drift from the plain run. In a process
// group of its own (POSIX), so that an interrupt reaches npm, its shell and jest alike: npm does
// not pass a signal on to the script it runs.
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const ownGroup = process.platform !== 'win32';
const jest = spawn(npm, ['test', '--', ...process.argv.slice(2)], { stdio: 'inherit', env: process.env, detached: ownGroup });

// On an interrupt, free the cores at once, pass the signal to the whole test run, and exit with
// its status once jest has finished its teardown.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopLoaders();
    if (jest.exitCode !== null || jest.signalCode !== null) return;
    try {
      if (ownGroup) process.kill(-jest.pid, signal);
      else jest.kill(signal);
    } catch {
      // already gone
    }
  });
}

jest.once('error', (error) => {
  console.error(`test:stress: could not start npm test: ${error.message}`);
  stopLoaders();
  process.exit(1);
});

jest.once('close', (code, signal) => {
  stopLoaders();
  const status = code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15);
  console.log(`test:stress: npm test exited with ${status} under ${loaderCount} CPU-bound loader(s)`);
  process.exit(status);
});
