import { format, inspect } from 'node:util';
import createDebug from 'debug';
import { resolveOptions } from '../../lib/options/options.js';
import { accepting } from '../helpers/scripted-broker.js';
import { flush, harness, type Harness } from './harness.js';

const PASSWORD = 'hunter2-Sup3r-S3cret';
const AUTH_DATA = 'auth-data-T0p-S3cret';

/** Every way a secret could show up in text: as is, and as a logged Buffer would print it. */
function forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [secret, bytes.toString('hex'), bytes.toString('base64'), inspect(bytes).slice(0, 40)];
}
const FORBIDDEN = [...forms(PASSWORD), ...forms(AUTH_DATA)];

function leaks(text: string): string[] {
  return FORBIDDEN.filter((form) => text.includes(form));
}

const client = {
  protocolVersion: 5 as const,
  keepalive: 10,
  reconnectPeriod: 1000,
  connectTimeout: 30_000,
  username: 'alice',
  password: PASSWORD,
  properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from(AUTH_DATA) },
};

/** A session that touches every logged path: refusal, reconnect, traffic, pings, a protocol error, end. */
async function eventfulSession(h: Harness): Promise<void> {
  h.broker.last.reply({ cmd: 'connack', sessionPresent: false, reasonCode: 0x86 });
  h.client.reconnect();
  await flush();
  h.broker.last.reply(accepting());
  h.client.publish$('t', 'x', { qos: 1 }).subscribe({ error: () => undefined });
  await h.clock.advance(10_000);
  h.broker.last.reply({ cmd: 'pingresp' }, { cmd: 'puback', messageId: 1 });
  h.broker.last.raw([0x00, 0x00]);
  await h.clock.advance(1000);
  h.broker.last.reply(accepting());
  await flush();
  await h.client.end();
}

/** All the text errors could print: message, stack and causes. */
function errorText(h: Harness): string {
  const states = h.states.map((s) => ('cause' in s && s.cause ? inspect(s.cause) : '')).join('\n');
  return h.errors().map((e) => `${e.message}\n${e.stack}\n${inspect(e, { depth: 5 })}`).join('\n') + states;
}

describe('secrets', () => {
  it('never writes the password or authentication data to the log option', async () => {
    const lines: string[] = [];
    const log = (...args: unknown[]) => lines.push(format(...args) + '\n' + args.map((a) => inspect(a, { depth: 10 })).join(' '));
    const h = await harness({ client: { ...client, log } });
    await eventfulSession(h);
    expect(h.broker.connections).toHaveLength(3);
    // The log was really used: CONNECT went through it, redacted.
    const connectLines = lines.filter((line) => line.includes('sending connect'));
    expect(connectLines).toHaveLength(3);
    expect(connectLines[0]).toContain('<redacted>');
    expect(lines.filter((line) => leaks(line).length > 0)).toEqual([]);
    // The password did go to the broker, so the check above is not vacuous.
    expect(h.broker.connections[0]!.packets('connect')[0]?.password?.toString()).toBe(PASSWORD);
  });

  it('never prints them with DEBUG=rxmqtt* either', async () => {
    const lines: string[] = [];
    const previous = createDebug.disable();
    const previousLog = createDebug.log;
    createDebug.enable('rxmqtt*');
    createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
    try {
      const h = await harness({ client });
      await eventfulSession(h);
    } finally {
      createDebug.log = previousLog;
      createDebug.disable();
      if (previous) createDebug.enable(previous);
    }
    expect(lines.some((line) => line.includes('sending connect'))).toBe(true);
    expect(lines.filter((line) => leaks(line).length > 0)).toEqual([]);
  });

  it('never puts them in an error message, stack or state cause', async () => {
    const h = await harness({ client });
    await eventfulSession(h);
    expect(h.errors().map((e) => e.kind)).toEqual(['ERR_CONNACK', 'ERR_PROTOCOL']);
    expect(leaks(errorText(h))).toEqual([]);
  });

  it('never logs or reports the data of AUTH packets: challenges, answers, re-authentication, failures', async () => {
    const lines: string[] = [];
    const log = (...args: unknown[]) => lines.push(format(...args) + '\n' + args.map((a) => inspect(a, { depth: 10 })).join(' '));
    let refuse = false;
    const handleAuth = (_packet: unknown, callback: (error?: Error | null, answer?: object) => void) =>
      refuse ? callback(new Error('refused by the app')) : callback(null, { properties: { authenticationData: Buffer.from(AUTH_DATA) } });
    const h = await harness({ client: { ...client, log, handleAuth }, broker: { protocolVersion: 5 } });
    const method = client.properties.authenticationMethod;
    const challenge = { cmd: 'auth' as const, reasonCode: 0x18, properties: { authenticationMethod: method, authenticationData: Buffer.from(AUTH_DATA) } };
    h.broker.last.reply(challenge);
    await flush();
    h.broker.last.reply(accepting({ properties: { authenticationMethod: method } }));
    const reauth = h.client.reauthenticate({ authenticationData: Buffer.from(AUTH_DATA) });
    await flush();
    h.broker.last.reply(challenge);
    await flush();
    h.broker.last.reply({ cmd: 'auth', reasonCode: 0x00, properties: { authenticationMethod: method, authenticationData: Buffer.from(AUTH_DATA) } });
    await reauth;
    refuse = true;
    const failing = h.client.reauthenticate({ authenticationData: Buffer.from(AUTH_DATA) }).catch((error: Error) => error);
    await flush();
    h.broker.last.reply(challenge);
    const failure = await failing;
    // The AUTH packets did carry the data, and were logged (redacted).
    expect(h.broker.last.packets('auth').map((p) => p.properties?.authenticationData?.toString())).toEqual([AUTH_DATA, AUTH_DATA, AUTH_DATA, AUTH_DATA]);
    expect(lines.filter((line) => line.includes('sending auth'))).toHaveLength(4);
    expect(lines.filter((line) => leaks(line).length > 0)).toEqual([]);
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_AUTH']);
    expect(leaks(errorText(h) + inspect(failure, { depth: 5 }))).toEqual([]);
  });

  it('keeps the password out of the error for a malformed broker URL', () => {
    expect(() => resolveOptions(`mqtt://alice:${PASSWORD}@[::1`)).toThrow(/<redacted>/);
    try {
      resolveOptions(`mqtt://alice:${PASSWORD}@[::1`);
    } catch (error) {
      expect(leaks(`${(error as Error).message}\n${(error as Error).stack}`)).toEqual([]);
    }
  });
});
