import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError } from '../../lib/errors.js';
import { filterTopic } from '../../operators/filterTopic.js';

interface Message {
  topic: string;
  payload: string;
}

const messages: Record<string, Message> = {
  a: { topic: 'sport/tennis', payload: 'a' },
  b: { topic: 'news', payload: 'b' },
  c: { topic: 'sport/golf/hole1', payload: 'c' },
  d: { topic: '$SYS/uptime', payload: 'd' },
  e: { topic: 'sport', payload: 'e' },
};

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('filterTopic', () => {
  it.each([
    ['sport/+', '-a-b-c-d-e-|', '-a---------|'],
    ['sport/#', '-a-b-c-d-e-|', '-a---c---e-|'],
    ['#', '-a-b-c-d-e-|', '-a-b-c---e-|'],
    ['+/+', '-a-b-c-d-e-|', '-a---------|'],
    ['$SYS/#', '-a-b-c-d-e-|', '-------d---|'],
    ['$share/g/news', '-a-b-c-d-e-|', '---b-------|'],
  ])('lets through with %j only the messages whose topic matches', (filter, source, expected) => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold(source, messages).pipe(filterTopic<Message>(filter))).toBe(expected, messages);
    });
  });

  it('matches the marble diagram of its documentation', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-|', messages).pipe(filterTopic<Message>('sport/+'))).toBe('-a-----|', messages);
    });
  });

  it('passes errors through and unsubscribes from the source with its subscriber', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      expectObservable(cold('-a-#', messages).pipe(filterTopic<Message>('#'))).toBe('-a-#', messages);
      const source = hot('-a-b-a-', messages);
      expectObservable(source.pipe(filterTopic<Message>('sport/+')), '^--!').toBe('-a-', messages);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('errors when a message has no string topic', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const bad = { x: { payload: 'x' } as unknown as Message };
      expectObservable(cold('-x-a', { ...messages, ...bad }).pipe(filterTopic<Message>('#'))).toBe(
        '-#',
        undefined,
        expect.any(TypeError),
      );
    });
  });

  it.each(['', 'sport/#/x', 'sport+', '$share//x', 42 as unknown as string])(
    'throws an InvalidArgumentError at the call for the invalid filter %j',
    (filter) => {
      expect(() => filterTopic(filter)).toThrow(InvalidArgumentError);
    },
  );
});
