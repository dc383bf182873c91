/**
 * Registers `rxmqtt bench pub|sub|conn` with yargs. Only the flag tables load here: a bench
 * command's code is imported when it runs, so other commands never pay for it.
 */
import type { Argv } from 'yargs';
import type { LoadedCommand } from '../commands.js';
import { CONNECTION_FLAGS } from '../options.js';
import { BENCH_CONN_FLAGS, BENCH_PUB_FLAGS, BENCH_SUB_FLAGS, type BenchFlags } from './flags.js';

/** -i names every client of a run: `<prefix>1` to `<prefix>N`. */
// -c (clients) and -I (interval) are emqtt-bench's here: --no-clean goes without its -c, and
// --id-prefix (mosquitto's -I) is left out, since -i already names every client of a run.
const { 'id-prefix': _idPrefix, ...CONNECTION_FLAGS_BUT_ID_PREFIX } = CONNECTION_FLAGS;
const CLIENT_FLAGS = {
  ...CONNECTION_FLAGS_BUT_ID_PREFIX,
  'no-clean': { ...CONNECTION_FLAGS['no-clean'], alias: undefined },
  id: { ...CONNECTION_FLAGS.id, describe: 'Client id prefix: the clients are <prefix>1..<prefix>N [default: rxb-<command>-<pid>-]' },
};

/**
 * Adds the three bench commands to `yargs` (the builder of `rxmqtt bench`).
 *
 * @param start Runs a command and records its exit code (index.ts's error handling).
 */
export function benchCommands(yargs: Argv, start: (command: () => Promise<number>) => Promise<void>): Argv {
  return yargs
    .usage('$0 bench <pub|sub|conn> [options]')
    .command('pub', 'N clients publish numbered, timestamped messages (-C per client or --duration)', (y) => y.options({ ...BENCH_PUB_FLAGS, ...CLIENT_FLAGS }), (argv) =>
      start(() => RUNNERS.pub(argv as BenchFlags)),
    )
    .command('sub', 'N clients subscribe and check latency, loss and order per publisher', (y) => y.options({ ...BENCH_SUB_FLAGS, ...CLIENT_FLAGS }), (argv) =>
      start(() => RUNNERS.sub(argv as BenchFlags)),
    )
    .command('conn', 'Open N connections at a rate and report connect latency and failures', (y) => y.options({ ...BENCH_CONN_FLAGS, ...CLIENT_FLAGS }), (argv) =>
      start(() => RUNNERS.conn(argv as BenchFlags)),
    )
    .example('$0 bench sub -c 2 -t "bench/#" -q 1 -C 2000', 'two subscribers, until each has 2000 messages')
    .example('$0 bench pub -c 2 -t "bench/%i" -q 1 -C 1000 -r 500', 'two publishers, 1000 messages each, 500/s')
    .demandCommand(1, 'Give a bench command: pub, sub or conn');
}

const RUNNERS = {
  pub: async (argv: BenchFlags) => (await import('./pub.js')).runBenchPub(argv),
  sub: async (argv: BenchFlags) => (await import('./sub.js')).runBenchSub(argv),
  conn: async (argv: BenchFlags) => (await import('./conn.js')).runBenchConn(argv),
};
const FLAGS = { pub: BENCH_PUB_FLAGS, sub: BENCH_SUB_FLAGS, conn: BENCH_CONN_FLAGS };

/** One bench command's flags and runner, for `rxmqtt bench <name>` run directly (index.ts). */
export function benchCommand(name: 'pub' | 'sub' | 'conn'): LoadedCommand {
  return { flags: { ...FLAGS[name], ...CLIENT_FLAGS }, run: (argv) => RUNNERS[name](argv as BenchFlags) };
}
