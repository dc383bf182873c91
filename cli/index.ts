#!/usr/bin/env node
/**
 * The `rxmqtt` command line: `sub`, `pub`, `broker`, `bench pub|sub|conn`, `version`, `help [command]`.
 *
 * ```
 * rxmqtt broker -p 1883 &
 * rxmqtt sub -t 'sensors/#' -v -F json | jq
 * rxmqtt pub -t sensors/1 -m 21.5 -q 1
 * ```
 * Exit codes: 0 success, 1 runtime failure (refused or lost connection, failed subscription or
 * publish), 2 bad flags, 27 `sub -W` timed out, 130 a second SIGINT. Failures print one line on
 * stderr.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { benchCommands } from './bench/command.js';
import { BROKER_FLAGS, runBroker } from './broker.js';
import { CliError, describeError, EXIT, oneLine } from './errors.js';
import { CONNECTION_FLAGS } from './options.js';
import { PUB_FLAGS, runPub, type PubFlags } from './pub.js';
import { runSub, SUB_FLAGS, type SubFlags } from './sub.js';

/** The version in our package.json, found by walking up from this file (dist/esm/cli or a build dir). */
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
    process.stderr.write(`rxmqtt: ${describeError(error)}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failure;
  }
}

async function main(args: string[]): Promise<number> {
  const version = packageVersion();
  let exitCode: number = EXIT.ok;
  const parser = yargs(rewriteHelp(args))
    .scriptName('rxmqtt')
    .usage('$0 <command> [options]')
    // `--no-clean`, `--no-reconnect` and `-R/--no-retained` are flags of their own.
    .parserConfiguration({ 'boolean-negation': false })
    .command('sub', 'Subscribe and print one line per message', (y) => y.options({ ...SUB_FLAGS, ...CONNECTION_FLAGS }), async (argv) => {
      exitCode = await run(() => runSub(argv as SubFlags));
    })
    .command('pub', 'Publish messages', (y) => y.options({ ...PUB_FLAGS, ...CONNECTION_FLAGS }), async (argv) => {
      exitCode = await run(() => runPub(argv as PubFlags));
    })
    .command('broker', 'Run an embedded MQTT broker (aedes)', (y) => y.options(BROKER_FLAGS), async (argv) => {
      exitCode = await run(() => runBroker(argv));
    })
    .command('bench', 'Benchmark a broker: bench pub|sub|conn with N clients', (y) =>
      benchCommands(y, async (command) => {
        exitCode = await run(command);
      }),
    )
    .command('version', 'Print the version', {}, () => {
      process.stdout.write(version + '\n');
    })
    .command('help [command]', 'Show help for a command')
    .example('$0 sub -t "a/#" -v', 'print topic and payload of everything under a/')
    .example('$0 pub -t a/b -m hello -q 1', 'publish one message and wait for its PUBACK')
    .example('tail -f log | $0 pub -t logs -l', 'publish each line as it arrives')
    .demandCommand(1, 'Give a command: sub, pub, broker, bench, version or help')
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
    const benchCommand = args[0] === 'bench' && ['pub', 'sub', 'conn'].includes(args[1] ?? '') ? `bench ${args[1]}` : 'bench';
    const command = args[0] === 'bench' ? benchCommand : args.find((arg) => arg === 'sub' || arg === 'pub' || arg === 'broker');
    process.stderr.write(`rxmqtt: ${oneLine((error as Error).message)} (see: rxmqtt ${command ? command + ' ' : ''}--help)\n`);
    return EXIT.usage;
  }
  return exitCode;
}

/** Exits once stdout has taken everything written to it. */
function exit(code: number): void {
  const timer = setTimeout(() => process.exit(code), 1000);
  timer.unref();
  process.stdout.write('', () => process.exit(code));
}

main(hideBin(process.argv)).then(exit, (error: unknown) => {
  process.stderr.write(`rxmqtt: ${describeError(error)}\n`);
  exit(EXIT.failure);
});
