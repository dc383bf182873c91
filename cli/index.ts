#!/usr/bin/env node
/**
 * The `rxmqtt` command line: `sub`, `pub`, `rr` (or `request`), `broker`, `bench pub|sub|conn`,
 * `version`, `help [command]`.
 *
 * ```
 * rxmqtt broker -p 1883 &
 * rxmqtt sub -t 'sensors/#' -v -F json | jq
 * rxmqtt pub -t sensors/1 -m 21.5 -q 1
 * ```
 * Exit codes: 0 success, 1 runtime failure (refused or lost connection, failed subscription or
 * publish), 2 bad flags, 27 `sub -W` or `rr -W` timed out, 130 a second SIGINT. Failures print
 * one line on stderr.
 *
 * Startup is most of a short run's time, so this file imports nothing heavy: `--version` answers
 * before anything else loads, yargs loads for everything else, and a command's code (with rxjs
 * and the client) only when that command runs (see commands.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { BENCH_COMMANDS, commandIn, COMMANDS, type CommandEntry } from './commands.js';

/** As in errors.ts' EXIT, which this file does not import: errors.ts loads the whole library. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** The version in our package.json, found by walking up from this file (dist/cli or a build dir). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rxmqtt' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** `help` -> `--help`, `help sub` -> `sub --help`: yargs prints the help of the command. */
function rewriteHelp(args: string[]): string[] {
  if (args[0] !== 'help') return args;
  return args.length > 1 ? [args[1], '--help'] : ['--help'];
}

/** Runs a command and turns its failure into the exit code; the message is printed once here. */
async function run(command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (error) {
    const { CliError, describeError } = await import('./errors.js');
    process.stderr.write(`rxmqtt: ${describeError(error)}\n`);
    return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
  }
}

/** The settings every parser shares. */
function configure(parser: Argv, version: string): Argv {
  return (
    parser
      // `--no-clean`, `--no-reconnect` and `-R/--no-retained` are flags of their own.
      .parserConfiguration({ 'boolean-negation': false })
      .strict()
      .version(version)
      .help('help')
      .wrap(Math.min(100, process.stdout.columns || 100))
      .fail(false)
  );
}

/**
 * Parses the flags of `command` (args without its name) and runs it. A parser of its own, with
 * no yargs command in it: yargs renders the whole help text (to cache it) whenever it dispatches
 * a command, which costs a short `pub` about as much as connecting does.
 */
async function runCommand(command: CommandEntry, args: string[], version: string): Promise<number> {
  const [loaded, { default: yargs }] = await Promise.all([command.load(), import('yargs')]);
  const parser = configure(yargs(args), version).scriptName(`rxmqtt ${command.name}`).usage(`$0\n\n${command.describe}`).options(loaded.flags);
  let argv: Record<string, unknown>;
  try {
    // --help and --version print and exit here (yargs' exitProcess).
    argv = await parser.parseAsync();
  } catch (error) {
    return usageFailure(error, command);
  }
  return run(() => loaded.run(argv));
}

/** `rxmqtt --help`, `rxmqtt help`, and anything that does not start with a command's name. */
async function runTopLevel(args: string[], version: string): Promise<number> {
  const named = commandIn(args);
  const [loaded, { default: yargs }] = await Promise.all([named?.load(), import('yargs')]);
  let exitCode = 0;
  let parser = configure(yargs(args), version).scriptName('rxmqtt').usage('$0 <command> [options]');
  for (const command of COMMANDS) {
    // A command named after other flags (`rxmqtt -d pub ...`) runs from here, through yargs.
    parser = parser.command(command.name, command.describe, (y) => y.options(command === named ? loaded!.flags : {}), async (argv) => {
      exitCode = await run(async () => (command === named ? loaded! : await command.load()).run(argv));
    });
  }
  // `rxmqtt bench` alone (or after other flags): its three commands, loaded only then.
  const bench = args.includes('bench') ? await import('./bench/command.js') : undefined;
  parser = parser.command('bench', 'Benchmark a broker: bench pub|sub|conn with N clients', (y) =>
    bench
      ? bench.benchCommands(y, async (command) => {
          exitCode = await run(command);
        })
      : y,
  );
  parser = parser
    .command('version', 'Print the version', {}, () => {
      process.stdout.write(version + '\n');
    })
    .command('help [command]', 'Show help for a command')
    .example('$0 sub -t "a/#" -v', 'print topic and payload of everything under a/')
    .example('$0 pub -t a/b -m hello -q 1', 'publish one message and wait for its PUBACK')
    .example('tail -f log | $0 pub -t logs -l', 'publish each line as it arrives')
    .demandCommand(1, `Give a command: ${COMMANDS.map((command) => command.name).join(', ')}, bench, version or help`)
    .recommendCommands();
  try {
    await parser.parseAsync();
  } catch (error) {
    // Handlers never throw (run() catches): whatever reaches here is yargs rejecting the flags.
    return usageFailure(error, named);
  }
  return exitCode;
}

/** Prints yargs' complaint about the flags in one line; the exit code of a usage error. */
async function usageFailure(error: unknown, command: CommandEntry | undefined): Promise<number> {
  const { oneLine } = await import('./errors.js');
  process.stderr.write(`rxmqtt: ${oneLine((error as Error).message)} (see: rxmqtt ${command ? command.name + ' ' : ''}--help)\n`);
  return EXIT_USAGE;
}

async function main(args: string[]): Promise<number> {
  const version = packageVersion();
  // The fast path: nothing else loads.
  if (args.length === 1 && (args[0] === '--version' || args[0] === 'version')) {
    process.stdout.write(version + '\n');
    return 0;
  }
  const command = COMMANDS.find((entry) => entry.name === args[0]) ?? BENCH_COMMANDS.find((entry) => entry.name === `${args[0]} ${args[1]}`);
  return command ? runCommand(command, args.slice(command.name.split(' ').length), version) : runTopLevel(args, version);
}

/** Exits once stdout has taken everything written to it. */
function exit(code: number): void {
  const timer = setTimeout(() => process.exit(code), 1000);
  timer.unref();
  process.stdout.write('', () => process.exit(code));
}

main(rewriteHelp(process.argv.slice(2))).then(exit, async (error: unknown) => {
  const { describeError } = await import('./errors.js');
  process.stderr.write(`rxmqtt: ${describeError(error)}\n`);
  exit(EXIT_FAILURE);
});
