/**
 * Where a client's connection reports to (its `ConnectionHooks`): the Subjects behind `state$`,
 * `messages$`, `packetsIn$`/`packetsOut$`, `events$` and `decodeErrors$`, and the routes of its
 * `topic()` streams. `RxMqttClient` reads its streams from here.
 */
import { asyncScheduler, BehaviorSubject, distinctUntilChanged, map, Subject, type Observable } from 'rxjs';
import type { Connection, ConnectionHooks } from '../connection/connection.js';
import type { ClientEvent, ConnectionState } from '../connection/connection-state.js';
import type { DecodeError, SubackError } from '../errors.js';
import { toMessage, type MqttMessage } from '../inbound/message.js';
import type { ResolvedOptions } from '../options/options.js';
import type { HandleAuth, HandleMessage } from '../options/handlers.js';
import { reportAsSubscriberError } from '../platform/report-unhandled.js';
import type { IPublishPacket, Packet } from '../protocol/codec.js';
import { TopicRoutes } from '../routing/routes.js';
import type { TopicOptions } from '../routing/topic-options.js';
import type { TopicSource } from '../routing/topic-stream.js';
import type { ClientHooks } from './client-types.js';

/** The read-only views of the Subjects, made once each so that a getter returns the same Observable. */
interface Views {
  state$?: Observable<ConnectionState>;
  messages$?: Observable<MqttMessage>;
  packetsIn$?: Observable<Packet>;
  packetsOut$?: Observable<Packet>;
  events$?: Observable<ClientEvent>;
  decodeErrors$?: Observable<DecodeError>;
  connected$?: Observable<boolean>;
}

/**
 * One object whose methods are on its prototype, instead of a closure per hook for every client.
 * Everything in it is made on first use: an idle client (thousands of them in one process, say)
 * pays for none of the Subjects and routes nobody asked for.
 */
export class ClientStreams implements ConnectionHooks, TopicSource {
  /** The current status; `stateSubject` (made for the first `state$` reader) mirrors it. */
  private current: ConnectionState = { status: 'idle' };
  private stateSubject?: BehaviorSubject<ConnectionState>;
  private messageSubject?: Subject<MqttMessage>;
  private packetInSubject?: Subject<Packet>;
  private packetOutSubject?: Subject<Packet>;
  private eventSubject?: Subject<ClientEvent>;
  private decodeErrorSubject?: Subject<DecodeError>;
  private views?: Views;
  private topicRoutes?: TopicRoutes;
  /** The connection that reports here (see `attach`); the routes send through it. */
  private connection?: Connection;

  constructor(
    private readonly hooks: ClientHooks,
    private readonly options: ResolvedOptions,
  ) {}

  /**
   * Gives the connection reporting here, right after it was made with this object as its hooks.
   * (A field set once rather than a routes factory closure: no closure for every idle client.)
   */
  attach(connection: Connection): void {
    this.connection = connection;
  }

  get state(): ConnectionState {
    return this.current;
  }

  get state$(): Observable<ConnectionState> {
    this.stateSubject ??= new BehaviorSubject(this.current);
    return (this.views ??= {}).state$ ??= this.stateSubject.asObservable();
  }

  get messages$(): Observable<MqttMessage> {
    return (this.views ??= {}).messages$ ??= (this.messageSubject ??= new Subject()).asObservable();
  }

  get packetsIn$(): Observable<Packet> {
    return (this.views ??= {}).packetsIn$ ??= (this.packetInSubject ??= new Subject()).asObservable();
  }

  get packetsOut$(): Observable<Packet> {
    return (this.views ??= {}).packetsOut$ ??= (this.packetOutSubject ??= new Subject()).asObservable();
  }

  get events$(): Observable<ClientEvent> {
    return (this.views ??= {}).events$ ??= (this.eventSubject ??= new Subject()).asObservable();
  }

  get decodeErrors$(): Observable<DecodeError> {
    return (this.views ??= {}).decodeErrors$ ??= (this.decodeErrorSubject ??= new Subject()).asObservable();
  }

  get connected$(): Observable<boolean> {
    return (this.views ??= {}).connected$ ??= this.state$.pipe(
      map((state) => state.status === 'connected'),
      distinctUntilChanged(),
    );
  }

  /** The routes of `topic()` streams, made on first use. */
  get routes(): TopicRoutes {
    return (this.topicRoutes ??= this.makeRoutes(this.connection!));
  }

  /** The routes if a `topic()` stream made them: without any there is nothing to route to. */
  get routesIfAny(): TopicRoutes | undefined {
    return this.topicRoutes;
  }

  /** Routes whose SUBSCRIBE and UNSUBSCRIBE go through `connection`. */
  private makeRoutes(connection: Connection): TopicRoutes {
    const options = this.options;
    return new TopicRoutes({
      subscribe: (subscriptions, properties, done) =>
        connection.submit(
          { type: 'subscribe', subscriptions, properties },
          { resolve: (result) => done(undefined, result), reject: (error) => done(error) },
        ),
      unsubscribe: (filter, done) => connection.submit({ type: 'unsubscribe', topics: [filter] }, { resolve: done, reject: done }),
      isOpen: () => this.current.status !== 'closed' && this.current.status !== 'disconnecting',
      identifiersAvailable: () =>
        options.protocolVersion === 5 && connection.session.connack?.properties?.subscriptionIdentifiersAvailable !== false,
    }, { scheduler: options.scheduler ?? asyncScheduler, linger: options.topicLinger });
  }

  // TopicSource: what topic() streams are made of.

  observe(filter: string, options?: TopicOptions<unknown>): Observable<MqttMessage> {
    return this.routes.observe(filter, options);
  }

  decodeFailed(error: DecodeError): void {
    this.decodeErrorSubject?.next(error);
  }

  // ConnectionHooks: what the connection calls back on.

  handleMessage(): HandleMessage | undefined {
    return this.hooks.handleMessage?.();
  }

  handleAuth(): HandleAuth | undefined {
    return this.hooks.handleAuth?.();
  }

  onState(state: ConnectionState): void {
    this.current = state;
    this.stateSubject?.next(state);
  }

  onEvent(event: ClientEvent): void {
    // The facade's EventEmitter listeners are app code. One that throws is reported as RxJS
    // reports a throwing subscriber (the facade was the first events$ subscriber before it became
    // a hook): on a later turn, never into the connection's own handling of the event.
    try {
      this.hooks.onEvent?.(event);
    } catch (error) {
      reportAsSubscriberError(error);
    }
    this.eventSubject?.next(event);
    if (event.type === 'end') this.topicRoutes?.completeAll();
  }

  onMessage(packet: IPublishPacket, topic?: string): void {
    const message = toMessage(packet, topic);
    if (this.messageSubject?.observed) this.messageSubject.next(message);
    this.topicRoutes?.dispatch(message);
  }

  // Hot path: skip Subject.next when nobody listens (about 10x cheaper per packet).
  onPacketIn(packet: Packet): void {
    const subject = this.packetInSubject;
    if (subject?.observed) subject.next(packet);
  }

  onPacketOut(packet: Packet): void {
    const subject = this.packetOutSubject;
    if (subject?.observed) subject.next(packet);
  }

  onResubscribeFailed(error: SubackError): void {
    this.topicRoutes?.refused(error.topic, error);
  }

  beforeCommand(): void {
    this.topicRoutes?.sendQueued();
  }
}
