/**
 * `acrossTabs()`: the `shared` option that makes every tab (and worker) of an origin use one MQTT
 * connection. Each tab runs a full client whose transport is a link to the hub; the tab elected
 * leader (Web Locks) also runs the hub, which owns the real connection. See SharedTab.
 */
import { MqttError } from '../error-base.js';
import { InvalidArgumentError } from '../errors.js';
import type { ConnectionSharing } from '../options/connection-sharing.js';
import type { ChannelPort } from './channel-messages.js';
import { lockManager, webLocksElection, type Election } from './election.js';
import { SharedTab } from './shared-tab.js';

/** The shortest wait before a tab client reconnects to the hub (a new hub, a reconnected one). */
export const TAB_RECONNECT_MS = 20;

export interface AcrossTabsOptions {
  /**
   * The name the tabs sharing one connection agree on: clients with the same key share it.
   * @default the clientId (which is then required: tabs sharing a connection share its client id)
   */
  key?: string;
  /** Who leads. @default Web Locks election (`navigator.locks`) */
  election?: Election;
  /** Opens the channel the tabs talk over. @default `new BroadcastChannel(name)` */
  channel?: (name: string) => ChannelPort;
}

/** `shared: acrossTabs()` where BroadcastChannel or the Web Locks API is missing. */
export class SharingUnsupportedError extends MqttError {
  override name = 'SharingUnsupportedError';
  constructor(missing: string) {
    super('ERR_SHARING_UNSUPPORTED', `sharing a connection across tabs needs ${missing}, which this runtime lacks`);
  }
}

/**
 * One MQTT connection for every tab of an origin: `connect(url, { clientId, shared: acrossTabs() })`.
 *
 * The first tab to take the Web Lock `rxmqtt:<key>` leads: it opens the real connection (the
 * user's URL, clientId, clean...). Every tab, the leader's too, gets a full client (`topic()`,
 * `publish`, `state$`, the MQTT.js API) connected to it over a BroadcastChannel. `topic()`
 * subscriptions are counted across tabs (one SUBSCRIBE, an UNSUBSCRIBE when the last tab lets
 * go); publishes settle in the tab that made them, with the broker's answer. When the leading tab
 * closes (or crashes, or calls `end()`), the next tab takes the lock and the connection over
 * (with `clean: false` the broker resumes the session); the other tabs reconnect to it,
 * resubscribe and resend their unacknowledged publishes. A tab's `end()` ends its own client;
 * the real connection ends with the last tab.
 *
 * Throws a SharingUnsupportedError from `connect()` where BroadcastChannel or `navigator.locks`
 * is missing (and none is injected), and an InvalidArgumentError without a `key` or `clientId`.
 *
 * @example
 * const client = connect('wss://broker.example/mqtt', { clientId: 'dashboard', shared: acrossTabs() });
 * client.topic('alerts/#').subscribe(show);
 */
export function acrossTabs(options: AcrossTabsOptions = {}): ConnectionSharing {
  return {
    share(given, resolved, direct, client) {
      const key = options.key ?? given.clientId;
      if (!key) throw new InvalidArgumentError('shared: acrossTabs() needs a clientId (or a key): the tabs share one connection, so one client id');
      const election = options.election ?? webLocksElection(lockManager() ?? unsupported('the Web Locks API (navigator.locks)'));
      const Channel = (globalThis as { BroadcastChannel?: new (name: string) => ChannelPort }).BroadcastChannel;
      const channel = options.channel ?? (Channel ? (name: string) => new Channel(name) : unsupported('BroadcastChannel'));
      // Reconnecting to the hub is cheap (a link waits until a hub is ready): retry almost at once,
      // so that a takeover costs no backoff. The real connection keeps the app's reconnect policy.
      const tabOptions = { ...resolved, reconnectPeriod: TAB_RECONNECT_MS, reconnect: undefined };
      const tab = new SharedTab(`rxmqtt:${key}`, resolved, direct, election, channel, client);
      return { transport: tab.transport, options: tabOptions };
    },
  };
}

function unsupported(missing: string): never {
  throw new SharingUnsupportedError(missing);
}
