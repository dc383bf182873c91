/**
 * The `shared` option's type: a strategy that makes several clients (the tabs of an origin) use
 * one connection. Types only, so that `connect()` pulls in no sharing code: the strategy comes
 * from an exported function (`acrossTabs()`), tree-shaken away by apps that do not call it.
 */
import type { TransportFactory } from '../transport/transport.js';
import type { ClientOptions } from './client-options.js';
import type { ResolvedOptions } from './options.js';

/** The part of the client a sharing strategy watches: it leaves when the client ends. */
export interface SharingClient {
  /** Calls `listener` once, when the client ends. */
  once(event: 'end', listener: () => void): unknown;
}

/**
 * The `shared` option: a strategy that lets several clients use one connection, such as the one
 * `acrossTabs()` returns. Implement it only to write a strategy of your own.
 */
export interface ConnectionSharing {
  /**
   * Called once by `connect()`: returns the transport this client connects through (a link to
   * the one shared connection) and the options it runs with.
   * @param given The options as the app wrote them.
   * @param options The same, resolved.
   * @param direct The transport `connect()` would have used: the shared connection's own.
   * @param client The client being made (defined once the first connection attempt starts).
   */
  share(given: ClientOptions, options: ResolvedOptions, direct: TransportFactory, client: () => SharingClient | undefined): {
    /** The transport the client connects through. */
    transport: TransportFactory;
    /** The options the client runs with. */
    options: ResolvedOptions;
  };
}
