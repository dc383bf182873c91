import { DEFAULT_DURATION_S } from '../../../cli/bench/flags.js';
import { defaultIdPrefix, expandTopic, toBenchPlan } from '../../../cli/bench/plan.js';
import { UsageError } from '../../../cli/errors.js';

describe('toBenchPlan', () => {
  it('bounds a pub given neither a count nor a duration by the default duration', () => {
    expect(toBenchPlan('pub', { topic: 't' }, 'x-').durationMs).toBe(DEFAULT_DURATION_S * 1000);
  });

  it('bounds a run given a count by the count alone', () => {
    const plan = toBenchPlan('sub', { topic: 't/#', count: 5 }, 'x-');
    expect(plan.count).toBe(5);
    expect(plan.durationMs).toBeUndefined();
  });

  it('turns -r messages per second into the interval between two messages', () => {
    expect(toBenchPlan('pub', { topic: 't', rate: 200 }, 'x-').intervalMs).toBe(5);
  });

  it('takes -i as the client id prefix', () => {
    expect(toBenchPlan('conn', { id: 'edge-' }, 'x-').idPrefix).toBe('edge-');
  });

  it('checks the topic as expanded for the last client', () => {
    expect(() => toBenchPlan('pub', { topic: 'a/%i/#' }, 'x-')).toThrow(UsageError);
    expect(() => toBenchPlan('sub', { topic: 'a/%i/#' }, 'x-')).not.toThrow();
  });

  it.each([
    [{ clients: 1.5 }, '-c/--clients must be a positive integer, got 1.5'],
    [{ count: 0 }, '-C/--count must be a positive integer, got 0'],
    [{ duration: 0 }, '--duration must be a positive number, got 0'],
    [{ size: -1 }, '-s/--size must be an integer >= 0, got -1'],
    [{ interval: 5, rate: 5 }, 'Give -I/--interval or -r/--rate, not both'],
    [{ inflight: 0 }, '--inflight must be a positive integer, got 0'],
    [{ connectRate: -3 }, '--connect-rate must be a positive number, got -3'],
  ])('refuses %j', (flags, message) => {
    expect(() => toBenchPlan('pub', { topic: 't', ...flags }, 'x-')).toThrow(new UsageError(message));
  });
});

describe('topic patterns and client ids', () => {
  it('replaces every %i with the client index and %c with its id', () => {
    expect(expandTopic('bench/%i/%c/%i', 3, 'rxb-3')).toBe('bench/3/rxb-3/3');
  });

  it('keeps default ids within the 23 bytes every server accepts', () => {
    expect(`${defaultIdPrefix('conn', 4_194_304)}99999`.length).toBeLessThanOrEqual(23);
  });
});
