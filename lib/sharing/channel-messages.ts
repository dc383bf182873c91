/**
 * What the tabs of one shared connection say to each other over their BroadcastChannel. Every
 * participant hears every message, so each one is addressed: to the hub of one `epoch` (a hub's
 * random id, new with every leader) or to one `link` (a tab client's connection to that hub).
 * The bytes are plain MQTT: a tab client speaks MQTT to the hub as to a broker.
 */

/** The part of BroadcastChannel a participant uses (tests may pass another). */
export interface ChannelPort {
  /** Sends a message to the other participants (a BroadcastChannel structured-clones it). */
  postMessage(message: unknown): void;
  /** Set by rxmqtt to receive the other participants' messages; `event.data` is the message. */
  onmessage: ((event: { data: unknown }) => void) | null;
  /** Leaves the channel: no message is sent or received any more. */
  close(): void;
  /**
   * Set by rxmqtt: called when the other end is known to be gone (a SharedWorker that died). A
   * BroadcastChannel never calls it.
   */
  onclose?: (() => void) | null;
}

export type ChannelMessage =
  /** Hub -> all: the hub of `epoch` can (ready) or cannot (not ready) take tab connections. */
  | { type: 'hub'; epoch: string; ready: boolean }
  /** Tab -> all: a tab starting up asks the hub, if any, to announce itself. */
  | { type: 'ask' }
  /** Tab -> hub: a new link from tab `tab`. */
  | { type: 'open'; epoch: string; link: string; tab: string }
  /** Tab -> hub: bytes on a link. */
  | { type: 'up'; epoch: string; link: string; bytes: Uint8Array }
  /** Hub -> tab: bytes on a link. */
  | { type: 'down'; link: string; bytes: Uint8Array }
  /** Either way: the link is closed (by the side named in `by`). */
  | { type: 'close'; epoch: string; link: string; by: 'hub' | 'tab' };

/** Whether `data` is one of our messages (a channel may carry others: be strict). */
export function isChannelMessage(data: unknown): data is ChannelMessage {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string';
}

/**
 * A random id for an epoch, a tab or a link: 16 random bytes in hex, from `getRandomValues` as the
 * client id and request correlation data are made (randomUUID exists only in secure contexts: a
 * page served over http from a LAN address has none).
 */
export function randomId(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString('hex');
}
