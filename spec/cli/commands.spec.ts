// Every command's flags, as yargs gets them: no short or long name may mean two flags (yargs
// would silently let the last one win, as `bench -c` once meant --no-clean).
import { BENCH_COMMANDS, COMMANDS } from '../../cli/commands.js';
// Loaded here first: jest's ESM loader trips over two concurrent dynamic imports of one graph.
import '../../cli/options.js';
import '../../cli/sub.js';
import '../../cli/pub.js';
import '../../cli/rr.js';

describe('the flags of each command', () => {
  it.each([...COMMANDS, ...BENCH_COMMANDS].map((command) => [command.name, command] as const))('gives every name to one flag only: %s', async (_name, command) => {
    const { flags } = await command.load();
    const owners = new Map<string, string[]>();
    for (const [flag, definition] of Object.entries(flags)) {
      const aliases = definition.alias === undefined ? [] : Array.isArray(definition.alias) ? definition.alias : [definition.alias];
      for (const name of [flag, ...aliases]) owners.set(name, [...(owners.get(name) ?? []), flag]);
    }
    const shared = [...owners].filter(([, flagsOfName]) => flagsOfName.length > 1);
    expect(shared).toEqual([]);
  });
});
