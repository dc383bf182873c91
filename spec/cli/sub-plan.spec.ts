import { messageAction, toSubscribePlan } from '../../cli/sub.js';

const plan = (flags: Parameters<typeof toSubscribePlan>[0]) => toSubscribePlan({ topic: ['a/#'], ...flags });

describe('messageAction', () => {
  const live = { topic: 'a/b', retain: false };
  const stale = { topic: 'a/b', retain: true };

  it('prints every message by default', () => {
    expect(messageAction(live, plan({}))).toEqual({ action: 'print', clearRetained: false });
  });

  it('ends --retained-only at the first live message, before any -T filter', () => {
    const retainedOnly = plan({ retainedOnly: true, filterOut: ['a/#'] });
    expect(messageAction(stale, retainedOnly)).toEqual({ action: 'ignore', clearRetained: false });
    expect(messageAction(live, retainedOnly)).toEqual({ action: 'end' });
  });

  it('ignores -T topics altogether, even for --remove-retained', () => {
    const filtered = plan({ filterOut: ['a/+'], removeRetained: true });
    expect(messageAction(stale, filtered)).toEqual({ action: 'ignore', clearRetained: false });
    expect(messageAction({ topic: 'a/b/c', retain: true }, filtered)).toEqual({ action: 'print', clearRetained: true });
  });

  it('clears a retained message hidden by -R with --remove-retained', () => {
    expect(messageAction(stale, plan({ noRetained: true, removeRetained: true }))).toEqual({ action: 'ignore', clearRetained: true });
    expect(messageAction(live, plan({ removeRetained: true }))).toEqual({ action: 'print', clearRetained: false });
  });
});

describe('toSubscribePlan', () => {
  it.each([
    [{ format: '%Z' }, /Invalid format specifier 'Z'/],
    [{ format: '' }, /Empty format string/],
    [{ filterOut: ['a/#/b'] }, /-T\/--filter-out/],
    [{ noRetained: true, retainedOnly: true }, /cannot be combined/],
  ])('refuses %j', (flags, message) => {
    expect(() => plan(flags)).toThrow(message);
  });

  it('keeps the shorthands and turns anything else into a format string, -N dropping the newline', () => {
    expect(plan({ format: 'hex', verbose: true }).output).toEqual({ format: 'hex', verbose: true, newline: true });
    expect(plan({ format: '%t', noNewline: true }).output).toMatchObject({ newline: false, template: { segments: [{ kind: 'field' }] } });
  });
});
