// The bench's private brokers, each our own child process on a free 127.0.0.1 port, stopped
// (SIGTERM, then SIGKILL) by stop(): mosquitto with a generated config in a temp dir, and aedes
// (bench/aedes-broker.mjs) in a node process of its own, never in a client's event loop.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MOSQUITTO = process.env.RXMQTT_MOSQUITTO_BIN || '/usr/sbin/mosquitto';
const AEDES_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'aedes-broker.mjs');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * User + system CPU of process `pid` so far, in ms (Linux /proc; undefined elsewhere or once it
 * exited). Lets the driver say how busy the broker was during a run: on 2 cores a broker near
 * one core's worth is the bottleneck, not the client.
 */
function cpuMsOf(pid) {
  try {
    // Fields after the ")" of the command name: state is 3rd overall, utime 14th, stime 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** What both brokers' handles share: exit tracking, stderr tail, stop() with SIGKILL fallback. */
function supervise(child, cleanupFiles = () => {}) {
  let log = '';
  child.stderr.on('data', (d) => { log = (log + d).slice(-4000); });
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => { exited = true; resolve({ code, signal }); }));
  child.once('error', (e) => { log += `\nspawn error: ${e.message}`; });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 3000);
      await exit;
      clearTimeout(t);
    }
    cleanupFiles();
  };
  return { pid: child.pid, stop, alive: () => !exited, exited: () => exited, log: () => log, cpuMs: () => cpuMsOf(child.pid) };
}

/** Starts mosquitto; resolves with { name, port, pid, stop(), alive(), log(), cpuMs() } once it accepts TCP connections (10 s at most). */
export async function startMosquitto() {
  const dir = mkdtempSync(join(tmpdir(), 'rxmqtt-bench-'));
  const port = await freePort();
  const config = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'max_inflight_messages 0',
    'max_queued_messages 1000000',
    'set_tcp_nodelay true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ...(process.getuid?.() === 0 ? ['user root'] : []),
  ];
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(file, config.join('\n') + '\n');
  const child = spawn(MOSQUITTO, ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const { exited, ...handle } = supervise(child, () => rmSync(dir, { recursive: true, force: true }));

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited()) break;
    if (await canConnect(port)) return { name: 'mosquitto', port, ...handle };
    await sleep(50);
  }
  await handle.stop();
  throw new Error(`mosquitto did not start on port ${port}: ${handle.log().trim() || '(no output)'}`);
}

/**
 * Starts bench/aedes-broker.mjs with this node; resolves with the same shape as startMosquitto()
 * (plus `version`) once the script printed its port (10 s at most). Its stdin is a pipe from us,
 * so it also exits if this process dies without stopping it.
 */
export async function startAedes() {
  const child = spawn(process.execPath, [AEDES_SCRIPT, '0', '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const { exited, ...handle } = supervise(child);
  let out = '';
  const info = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const i = out.indexOf('\n');
      if (i < 0) return;
      clearTimeout(timer);
      try { resolve(JSON.parse(out.slice(0, i))); } catch { resolve(undefined); }
    });
    child.once('exit', () => { clearTimeout(timer); resolve(undefined); });
  });
  if (info?.port && !exited()) return { name: 'aedes', port: info.port, version: info.aedes, ...handle };
  await handle.stop();
  throw new Error(`aedes did not start: ${(out + handle.log()).trim() || '(no output)'}`);
}
