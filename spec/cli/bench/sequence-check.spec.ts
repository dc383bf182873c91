import { SequenceCheck } from '../../../cli/bench/sequence-check.js';

/** Feeds `seqs` of one publisher to subscriber 1 and returns the arrivals and the summary. */
function check(seqs: number[], total = 0) {
  const sequence = new SequenceCheck();
  const arrivals = seqs.map((seq) => sequence.record(1, 'p', seq, total));
  return { arrivals, summary: sequence.summary() };
}

describe('SequenceCheck', () => {
  it.each([
    ['in order', [0, 1, 2, 3], 0, ['next', 'next', 'next', 'next'], { lost: 0, duplicated: 0, outOfOrder: 0 }],
    ['a gap', [0, 1, 4], 0, ['next', 'next', 'skipped'], { lost: 2, duplicated: 0, outOfOrder: 0 }],
    ['a late message fills its gap', [0, 2, 1], 0, ['next', 'skipped', 'late'], { lost: 0, duplicated: 0, outOfOrder: 1 }],
    ['a repeat', [0, 1, 1, 0], 0, ['next', 'next', 'duplicate', 'duplicate'], { lost: 0, duplicated: 2, outOfOrder: 0 }],
    ['a late message in the middle of a long gap', [0, 10, 5], 0, ['next', 'skipped', 'late'], { lost: 8, duplicated: 0, outOfOrder: 1 }],
    ['a first message after 0', [3], 0, ['skipped'], { lost: 3, duplicated: 0, outOfOrder: 0 }],
    ['the tail before the announced total', [0, 1], 5, ['next', 'next'], { lost: 3, duplicated: 0, outOfOrder: 0 }],
    ['a late message received twice', [0, 2, 1, 1], 3, ['next', 'skipped', 'late', 'duplicate'], { lost: 0, duplicated: 1, outOfOrder: 1 }],
  ])('classifies %s', (_name, seqs, total, arrivals, counts) => {
    const result = check(seqs as number[], total as number);
    expect(result.arrivals).toEqual(arrivals);
    expect(result.summary).toMatchObject(counts);
  });

  it('keeps one stream per subscriber and publisher', () => {
    const sequence = new SequenceCheck();
    sequence.record(1, 'a', 0, 0);
    sequence.record(2, 'a', 0, 0);
    sequence.record(1, 'b', 0, 0);
    // Subscriber 2 getting a's 0 is no duplicate of subscriber 1's.
    expect(sequence.summary()).toEqual({ streams: 3, publishers: 2, openEnded: 3, lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('counts a huge gap without keeping every missing number', () => {
    expect(check([0, 4_000_000_000]).summary.lost).toBe(3_999_999_999);
  });
});
