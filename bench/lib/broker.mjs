// A private mosquitto for one bench run: generated config in a temp dir, a free 127.0.0.1 port,
// started as our own child process and stopped (SIGTERM, then SIGKILL) by stop().
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = process.env.RXMQTT_MOSQUITTO_BIN || '/usr/sbin/mosquitto';

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

/** Starts mosquitto; resolves with { port, pid, stop() } once it accepts TCP connections (10 s at most). */
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
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await canConnect(port)) return { port, pid: child.pid, stop, alive: () => !exited, log: () => log };
    await sleep(50);
  }
  await stop();
  throw new Error(`mosquitto did not start on port ${port}: ${log.trim() || '(no output)'}`);
}
