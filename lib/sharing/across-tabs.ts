/**
 * `acrossTabs()`: the `shared` option that makes every tab (and worker) of an origin use one MQTT
 * connection. Each tab runs a full client whose transport is a link to the hub; the tab elected
 * leader (Web Locks) also runs the hub, which owns the real connection. See SharedTab.
 */
import { MqttError } from '../error-base.js';
import { InvalidArgumentError } from '../errors.js';
import type { ConnectionSharing } from '../options/connection-sharing.js';
import type { ChannelPort } from './channel-messages.js';
import { lockManager, webLocksElection, type Election, type LockManagerLike } from './election.js';
import { hubOptionsOf } from './hub-options.js';
import { SharedTab } from './shared-tab.js';
import { sharedWorkerConstructor, workerChannel, workerLeads, type OpenSharedWorker } from './worker-channel.js';

/** The shortest wait before a tab client reconnects to the hub (a new hub, a reconnected one). */
export const TAB_RECONNECT_MS = 20;

/** The options of `acrossTabs()`; every one is optional, and the defaults suit a browser page. */
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
  /**
   * The Web Locks API: the default election's, and how the hub learns that a tab is gone (each
   * tab holds a lock of its own while it lives). @default `navigator.locks`
   */
  locks?: LockManagerLike;
  /**
   * Where the app serves `rxmqtt/dist/rxmqtt-shared-worker.js` (e.g. `'/rxmqtt-shared-worker.js'`):
   * the connection then lives in a SharedWorker, where the browser has SharedWorker. A library
   * cannot know where the app serves its files, and a `blob:` URL would start one worker per tab.
   * The options of the real connection reach the worker by `postMessage`: a function among them
   * (transformWsUrl, beforeConnect, createWebsocket...) throws an InvalidArgumentError at
   * `connect()`. The first tab's options make the connection; later tabs with the same key join it.
   * @default none: Web Locks election and BroadcastChannel
   */
  worker?: string | URL;
  /** Starts or joins the worker. @default `new SharedWorker(url, { name })`, where SharedWorker exists */
  sharedWorker?: OpenSharedWorker;
}

/**
 * Thrown by `connect()` with `shared: acrossTabs()` where BroadcastChannel or the Web Locks API
 * is missing and none was injected; kind `ERR_SHARING_UNSUPPORTED`, its message names what is missing.
 */
export class SharingUnsupportedError extends MqttError {
  /** Always `'SharingUnsupportedError'`. */
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
 * With `worker` (where the browser has SharedWorker) the hub runs in that SharedWorker instead:
 * no tab leads, each tab talks to the worker over its own port, and a tab closing changes nothing
 * for the others (the worker lives while any tab does). See WorkerHub.
 *
 * Throws a SharingUnsupportedError from `connect()` where BroadcastChannel or `navigator.locks`
 * is missing (and none is injected), and an InvalidArgumentError without a `key` or `clientId`.
 *
 * @example
 * const client = connect('wss://broker.example/mqtt', { clientId: 'dashboard', shared: acrossTabs() });
 * client.topic('alerts/#').subscribe(show);
 * // the connection in a SharedWorker (the app serves rxmqtt/dist/rxmqtt-shared-worker.js there):
 * connect(url, { clientId: 'dashboard', shared: acrossTabs({ worker: '/rxmqtt-shared-worker.js' }) });
 */
export function acrossTabs(options: AcrossTabsOptions = {}): ConnectionSharing {
  return {
    share(given, resolved, direct, client) {
      const key = options.key ?? given.clientId;
      if (!key) throw new InvalidArgumentError('shared: acrossTabs() needs a clientId (or a key): the tabs share one connection, so one client id');
      // Reconnecting to the hub is cheap (a link waits until a hub is ready): retry almost at once,
      // so that a takeover costs no backoff. The real connection keeps the app's reconnect policy.
      const tabOptions = { ...resolved, reconnectPeriod: TAB_RECONNECT_MS, reconnect: undefined };
      const name = `rxmqtt:${key}`;
      if (options.worker !== undefined) {
        const hubOptions = hubOptionsOf(given, resolved);
        const open = options.sharedWorker ?? sharedWorkerConstructor();
        // Without SharedWorker (Chrome for Android, older Safari): the Web Locks path below.
        if (open) {
          const channel = workerChannel(options.worker, hubOptions, open, lockManager());
          return { transport: new SharedTab(name, resolved, direct, workerLeads, channel, client).transport, options: tabOptions };
        }
      }
      const locks = options.locks ?? lockManager();
      const election = options.election ?? webLocksElection(locks ?? unsupported('the Web Locks API (navigator.locks)'));
      const Channel = (globalThis as { BroadcastChannel?: new (name: string) => ChannelPort }).BroadcastChannel;
      const channel = options.channel ?? (Channel ? (name: string) => new Channel(name) : unsupported('BroadcastChannel'));
      const tab = new SharedTab(name, resolved, direct, election, channel, client, locks);
      return { transport: tab.transport, options: tabOptions };
    },
  };
}

function unsupported(missing: string): never {
  throw new SharingUnsupportedError(missing);
}
