/**
 * The CONNECT credentials (and Client Identifier) the app sets on `client.options` between
 * attempts. MQTT.js reads its options at every CONNECT (its README refreshes a token and renames
 * the client in `transformWsUrl` this way), while the
 * session keeps its own copy: a change is carried over to it before the next CONNECT. Options
 * left as they were leave alone what `beforeConnect` set.
 */
import { redactWhenPrinted } from '../log.js';
import type { ConfigureInput } from '../session/types.js';

export class OptionCredentials {
  private clientId: string | undefined;
  private username: string | undefined;
  private password: string | Buffer | undefined;

  constructor(private readonly options: { readonly clientId?: string; readonly username?: string; readonly password?: string | Buffer }) {
    this.clientId = options.clientId;
    this.username = options.username;
    this.password = options.password;
    // It keeps a password: it prints redacted, as the options do (util.inspect of a client).
    redactWhenPrinted(this);
  }

  /** Configures `session` with the options' credentials if they changed since the last call (or since construction). */
  carryOver(session: { step(input: ConfigureInput): void }): void {
    const { clientId, username, password } = this.options;
    if (clientId === this.clientId && username === this.username && password === this.password) return;
    // Only what changed: a clientId the broker assigned (MQTT 5) or beforeConnect's credentials stay.
    const changedId = clientId !== this.clientId ? clientId : undefined;
    this.clientId = clientId;
    this.username = username;
    this.password = password;
    session.step({ type: 'configure', clientId: changedId, username, password });
  }
}
