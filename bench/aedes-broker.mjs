#!/usr/bin/env node
// aedes as the bench's second broker, in a process of its own: a broker in a client's event loop
// would share that loop's CPU and skew the client's figures. Started by startAedes()
// (bench/lib/broker.mjs); usable by hand too.
//
//   node bench/aedes-broker.mjs [port] [--exit-with-stdin]    # port 0 or none: a free one
//
// Prints one JSON line {"port":N,"pid":N,"aedes":"1.x.y"} on stdout once listening on 127.0.0.1.
// Default in-memory persistence. Exits on SIGTERM/SIGINT and, with --exit-with-stdin (what the
// driver passes), when stdin closes: a driver that dies without killing us leaves no broker behind.
// (Opt-in because a shell's background job gets an already-closed stdin.)
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { Aedes } from 'aedes';

// aedes's package.json is not in its "exports": read it next to the resolved entry point.
const version = JSON.parse(readFileSync(new URL('package.json', import.meta.resolve('aedes')), 'utf8')).version;
const cli = process.argv.slice(2);
const port = Number(cli.find((a) => !a.startsWith('--')) ?? 0);

const broker = await Aedes.createBroker();
const server = createServer((socket) => {
  // Like mosquitto's `set_tcp_nodelay true`: without it, Nagle delays the broker's small
  // PUBACK/PUBREC/PUBCOMP and forwarded PUBLISH packets, and K4/K5 would measure that.
  socket.setNoDelay(true);
  broker.handle(socket);
});
// A client's protocol error is the bench's business (the worker reports it), not a broker crash.
broker.on('clientError', (client, err) => process.stderr.write(`aedes: client ${client?.id}: ${err.message}\n`));
broker.on('connectionError', (client, err) => process.stderr.write(`aedes: connection ${client?.id}: ${err.message}\n`));

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  server.close();
  // broker.close() ends every client; do not wait on lingering sockets longer than a second.
  broker.close(() => process.exit(code));
  setTimeout(() => process.exit(code), 1000).unref();
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
if (cli.includes('--exit-with-stdin')) {
  process.stdin.on('end', () => stop(0));
  process.stdin.on('error', () => stop(0));
  process.stdin.resume();
}

server.on('error', (err) => {
  process.stderr.write(`aedes: server error: ${err.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port, pid: process.pid, aedes: version }) + '\n');
});
