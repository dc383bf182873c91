/**
 * The one inbound path, without a socket: `deliver` outputs in, messages and acknowledgements out
 * through one typed sink, and the reasons to pause reading counted across their holders.
 */
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { Deliveries, type DeliverySink } from '../../lib/inbound/deliveries.js';
import type { HandleMessage } from '../../lib/options/handlers.js';

interface Recorded {
  log: string[];
  sink: DeliverySink;
}

function recorder(handleMessage?: HandleMessage): Recorded {
  const log: string[] = [];
  const sink: DeliverySink = {
    message: (packet) => log.push(`message ${packet.topic}`),
    acknowledge: (ackId, reasonCode) => log.push(`ack ${ackId}${reasonCode === undefined ? '' : ` 0x${reasonCode.toString(16)}`}`),
    error: (error) => log.push(`error ${error.message}`),
    holdReading: (held) => log.push(held ? 'pause' : 'resume'),
    handleMessage: () => handleMessage,
  };
  return { log, sink };
}

const publish = (topic: string, qos: 0 | 1 = 1): IPublishPacket => ({ cmd: 'publish', topic, payload: Buffer.from('x'), qos, retain: false, dup: false });

describe('Deliveries', () => {
  it('hands a message to the app, then acknowledges it, in arrival order', () => {
    const { log, sink } = recorder();
    const deliveries = new Deliveries({ maxUnackedMessages: 10 }, sink);
    deliveries.push(publish('a'), 1);
    deliveries.push(publish('b', 0), undefined);
    deliveries.push(publish('c'), 2);
    expect(log).toEqual(['message a', 'ack 1', 'message b', 'message c', 'ack 2']);
  });

  it('waits for handleMessage before the acknowledgement, and reports its error without holding the ack back', () => {
    let done: ((error?: Error) => void) | undefined;
    const { log, sink } = recorder((_packet, callback) => (done = callback));
    const deliveries = new Deliveries({ maxUnackedMessages: 10 }, sink);
    deliveries.push(publish('a'), 1);
    deliveries.push(publish('b'), 2);
    expect(log).toEqual(['message a']);
    done!(new Error('disk full'));
    expect(log).toEqual(['message a', 'error disk full', 'ack 1', 'message b']);
  });

  it('holds a manual-ack delivery until released, and sends its ack then', () => {
    const { log, sink } = recorder();
    const deliveries = new Deliveries({ maxUnackedMessages: 10 }, sink);
    let release: (() => void) | undefined;
    sink.message = (packet) => {
      log.push(`message ${packet.topic}`);
      release = deliveries.holds.take();
    };
    deliveries.push(publish('a'), 7);
    expect(log).toEqual(['message a']);
    release!();
    expect(log).toEqual(['message a', 'ack 7']);
  });

  it('asks to pause reading once, while any holder holds it, and to resume when the last one lets go', () => {
    const { log, sink } = recorder();
    const deliveries = new Deliveries({ maxUnackedMessages: 10 }, sink);
    const first = {};
    const second = {};
    deliveries.hold(first, true);
    deliveries.hold(second, true);
    expect(deliveries.readingHeld).toBe(true);
    deliveries.hold(first, false);
    expect(log).toEqual(['pause']);
    deliveries.hold(second, false);
    expect(log).toEqual(['pause', 'resume']);
    expect(deliveries.readingHeld).toBe(false);
  });

  it('pauses above maxUnackedMessages held manual-ack deliveries and resumes at half', () => {
    const { log, sink } = recorder();
    const deliveries = new Deliveries({ maxUnackedMessages: 2 }, sink);
    const releases: Array<() => void> = [];
    sink.message = () => releases.push(deliveries.holds.take());
    for (let id = 1; id <= 3; id++) deliveries.push(publish(`m${id}`), id);
    expect(log).toEqual(['pause']);
    releases[0]();
    releases[1]();
    expect(log).toEqual(['pause', 'ack 1', 'resume', 'ack 2']);
  });

  it('drops what waits for handleMessage when the connection is lost (the broker re-sends it), and stops pausing', () => {
    const { log, sink } = recorder(() => undefined);
    const deliveries = new Deliveries({ maxUnackedMessages: 10 }, sink);
    deliveries.push(publish('a'), 1);
    deliveries.push(publish('b'), 2);
    deliveries.connectionLost();
    deliveries.push(publish('c'), 3);
    expect(log).toEqual(['message a', 'message c']);
  });
});
