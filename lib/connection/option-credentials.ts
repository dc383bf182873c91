/**
 * The CONNECT credentials the app sets on `client.options` between attempts. MQTT.js reads its
 * options at every CONNECT (its README refreshes a token in `transformWsUrl` this way), while the
 * session keeps its own copy: a change is carried over to it before the next CONNECT. Options
 * left as they were leave alone what `beforeConnect` set.
 */
import { redactWhenPrinted } from '../log.js';
import type { ConfigureInput } from '../session/types.js';

export class OptionCredentials {
  private username: string | undefined;
  private password: string | Buffer | undefined;

  constructor(private readonly options: { readonly username?: string; readonly password?: string | Buffer }) {
    this.username = options.username;
    this.password = options.password;
    // It keeps a password: it prints redacted, as the options do (util.inspect of a client).
    redactWhenPrinted(this);
  }

  /** Configures `session` with the options' credentials if they changed since the last call (or since construction). */
  carryOver(session: { step(input: ConfigureInput): void }): void {
    const { username, password } = this.options;
    if (username === this.username && password === this.password) return;
    this.username = username;
    this.password = password;
    session.step({ type: 'configure', username, password });
  }
}
