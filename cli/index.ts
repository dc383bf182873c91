#!/usr/bin/env node
/**
 * The `rxmqtt` command line: `sub`, `pub`, `broker`, `version`, `help [command]`.
 *
 * ```
 * rxmqtt broker -p 1883 &
 * rxmqtt sub -t 'sensors/#' -v -F json | jq
 * rxmqtt pub -t sensors/1 -m 21.5 -q 1
 * ```
 * Exit codes: 0 success, 1 runtime failure (refused or lost connection, failed subscription or
 * publish), 2 bad flags, 27 `sub -W` timed out, 130 a second SIGINT. Failures print one line on
 * stderr.
 *
 * Startup is most of a short run's time, so this file imports nothing heavy: `--version` answers
 * before anything else loads, yargs loads for everything else, and a command's code (with rxjs
 * and the client) only when that command runs (see commands.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandIn, COMMANDS, type LoadedCommand } from './commands.js';

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

async function main(args: string[]): Promise<number> {
  const version = packageVersion();
  if (args.length === 1 && (args[0] === '--version' || args[0] === 'version')) {
    process.stdout.write(version + '\n');
    return 0;
  }
  // Only the command being run is loaded; the others are listed by name and description.
  const selected = commandIn(args);
  const [loaded, { default: yargs }] = await Promise.all([selected?.load(), import('yargs')]);
  let exitCode = 0;
  let parser = yargs(args)
    .scriptName('rxmqtt')
    .usage('$0 <command> [options]')
    // `--no-clean`, `--no-reconnect` and `-R/--no-retained` are flags of their own.
    .parserConfiguration({ 'boolean-negation': false });
  for (const command of COMMANDS) {
    const flags = command === selected ? loaded!.flags : {};
    parser = parser.command(command.name, command.describe, (y) => y.options(flags), async (argv) => {
      const implementation: LoadedCommand = command === selected ? loaded! : await command.load();
      exitCode = await run(() => implementation.run(argv));
    });
  }
  parser = parser
    .command('version', 'Print the version', {}, () => {
      process.stdout.write(version + '\n');
    })
    .command('help [command]', 'Show help for a command')
    .example('$0 sub -t "a/#" -v', 'print topic and payload of everything under a/')
    .example('$0 pub -t a/b -m hello -q 1', 'publish one message and wait for its PUBACK')
    .example('tail -f log | $0 pub -t logs -l', 'publish each line as it arrives')
    .demandCommand(1, `Give a command: ${COMMANDS.map((command) => command.name).join(', ')}, version or help`)
    .recommendCommands()
    .strict()
    .version(version)
    .help('help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail(false);
  try {
    await parser.parseAsync();
  } catch (error) {
    // Handlers never throw (run() catches): whatever reaches here is yargs rejecting the flags.
    const { oneLine } = await import('./errors.js');
    process.stderr.write(`rxmqtt: ${oneLine((error as Error).message)} (see: rxmqtt ${selected ? selected.name + ' ' : ''}--help)\n`);
    return EXIT_USAGE;
  }
  return exitCode;
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
