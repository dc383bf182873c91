/**
 * The subcommands `rxmqtt` dispatches to. Each one's flags and handler sit behind a dynamic
 * `import()`: the bundler puts every command in a chunk of its own, and a run loads only the
 * command it runs (rxjs and the client come in with `sub` and `pub`, never with `--version` or
 * `--help`). Adding a command is one entry here: its module exports the flags and the runner,
 * and this entry loads both, e.g.
 *
 * ```ts
 * { name: 'rr', describe: 'Send a request and print its response (MQTT 5)', load: async () => {
 *     const [{ RR_FLAGS, runRr }, connection] = await Promise.all([import('./rr.js'), connectionFlags()]);
 *     return { flags: { ...RR_FLAGS, ...connection }, run: (argv) => runRr(argv as RrFlags) };
 * } },
 * ```
 */
import type { Options } from 'yargs';
import type { PubFlags } from './pub.js';
import type { RrFlags } from './rr.js';
import type { SubFlags } from './sub.js';

/** What a command's module gives once loaded: its yargs flags and its runner. */
export interface LoadedCommand {
  flags: Record<string, Options>;
  /** Runs the command with the parsed flags; resolves with the exit code (or throws: see `index.ts`). */
  run(argv: Record<string, unknown>): Promise<number>;
}

export interface CommandEntry {
  name: string;
  describe: string;
  load(): Promise<LoadedCommand>;
}

/** The connection flags every client command shares. */
const connectionFlags = async () => (await import('./options.js')).CONNECTION_FLAGS;

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'sub',
    describe: 'Subscribe and print one line per message',
    load: async () => {
      const [{ SUB_FLAGS, runSub }, connection] = await Promise.all([import('./sub.js'), connectionFlags()]);
      return { flags: { ...SUB_FLAGS, ...connection }, run: (argv) => runSub(argv as SubFlags) };
    },
  },
  {
    name: 'pub',
    describe: 'Publish messages',
    load: async () => {
      const [{ PUB_FLAGS, runPub }, connection] = await Promise.all([import('./pub.js'), connectionFlags()]);
      return { flags: { ...PUB_FLAGS, ...connection }, run: (argv) => runPub(argv as PubFlags) };
    },
  },
  ...['rr', 'request'].map(
    (name): CommandEntry => ({
      name,
      describe: name === 'rr' ? 'Send an MQTT 5 request and print its response (mosquitto_rr)' : 'Same as rr',
      load: async () => {
        const [{ RR_FLAGS, runRr }, connection] = await Promise.all([import('./rr.js'), connectionFlags()]);
        return { flags: { ...RR_FLAGS, ...connection }, run: (argv) => runRr(argv as RrFlags) };
      },
    }),
  ),
  {
    name: 'broker',
    describe: 'Run an embedded MQTT broker (aedes)',
    load: async () => {
      const { BROKER_FLAGS, runBroker } = await import('./broker.js');
      return { flags: BROKER_FLAGS, run: (argv) => runBroker(argv) };
    },
  },
];

/** `bench pub|sub|conn`: two words each, run as `rxmqtt bench pub ...`. */
export const BENCH_COMMANDS: readonly CommandEntry[] = (
  [
    ['pub', 'N clients publish numbered, timestamped messages (-C per client or --duration)'],
    ['sub', 'N clients subscribe and check latency, loss and order per publisher'],
    ['conn', 'Open N connections at a rate and report connect latency and failures'],
  ] as const
).map(([name, describe]) => ({
  name: `bench ${name}`,
  describe,
  load: async () => (await import('./bench/command.js')).benchCommand(name),
}));

/** The command `args` names (the first argument that is a command's name), if any. */
export function commandIn(args: readonly string[]): CommandEntry | undefined {
  const names = new Set(COMMANDS.map((command) => command.name));
  const name = args.find((arg) => names.has(arg));
  return COMMANDS.find((command) => command.name === name);
}
