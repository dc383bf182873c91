/**
 * `rxmqtt broker --ws-port N`, the BUILT command: a WebSocket listener beside TCP, so that the
 * browser example runs against one command. Clients are the library's own, in this jest worker;
 * every wait ends on an event (an output line, a message, an exit) with a deadline.
 */
import { firstValueFrom } from 'rxjs';
import { connectAsync, type MqttClient } from '../../lib/index.js';
import { buildCli, CLI_SETUP_MS, CliRun, within, type CliBuild } from '../helpers/cli-runner.js';

let build: CliBuild;
const running: CliRun[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  build = await buildCli();
}, CLI_SETUP_MS);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  for (const run of running.splice(0)) run.child.kill('SIGKILL');
});

afterAll(() => build?.remove());

function broker(args: string[]): CliRun {
  const run = new CliRun(build.cliPath, ['broker', '-h', '127.0.0.1', ...args], 'ignore');
  running.push(run);
  return run;
}

const LISTENING = /^rxmqtt broker listening on mqtt:\/\/127\.0\.0\.1:(\d+) and ws:\/\/127\.0\.0\.1:(\d+)$/;

async function client(url: string, clientId: string): Promise<MqttClient> {
  const connected = await connectAsync(url, { clientId, reconnectPeriod: 0 });
  clients.push(connected);
  return connected;
}

describe('rxmqtt broker --ws-port', () => {
  it('prints both URLs on its listening line and carries messages between a WebSocket and a TCP client', async () => {
    const run = broker(['-p', '0', '--ws-port', '0']);
    const [listening] = await run.waitForLines(1);
    const [, tcpPort, wsPort] = LISTENING.exec(listening) ?? [];
    expect(tcpPort).toBeDefined();
    expect(wsPort).not.toBe(tcpPort);

    const overWs = await client(`ws://127.0.0.1:${wsPort}/mqtt`, 'over-ws');
    const overTcp = await client(`mqtt://127.0.0.1:${tcpPort}`, 'over-tcp');
    await run.waitForLine((line) => line === 'client connected: over-ws');

    const atTcp = firstValueFrom(overTcp.topic('ws/to/tcp'));
    const atWs = firstValueFrom(overWs.topic('tcp/to/ws'));
    await overTcp.subscribeAsync('ws/to/tcp', { qos: 1 });
    await overWs.subscribeAsync('tcp/to/ws', { qos: 1 });
    await overWs.publishAsync('ws/to/tcp', 'from ws', { qos: 1 });
    await overTcp.publishAsync('tcp/to/ws', 'from tcp', { qos: 1 });

    const [received, echoed] = await within(Promise.all([atTcp, atWs]), () => `messages; broker: ${run.lines.join('\n')}`);
    expect(Buffer.from(received.payload).toString()).toBe('from ws');
    expect(Buffer.from(echoed.payload).toString()).toBe('from tcp');

    run.child.kill('SIGTERM');
    expect(await run.exit()).toEqual({ code: 0, signal: null });
  });

  it('accepts any path, as browsers and MQTT.js use /mqtt and other clients /', async () => {
    const run = broker(['-p', '0', '--ws-port', '0']);
    const [listening] = await run.waitForLines(1);
    const [, , wsPort] = LISTENING.exec(listening) ?? [];
    const atRoot = await client(`ws://127.0.0.1:${wsPort}`, 'at-root');
    expect(atRoot.connected).toBe(true);
    await run.waitForLine((line) => line === 'client connected: at-root');
  });

  it('keeps the TCP-only listening line when --ws-port is not given', async () => {
    const run = broker(['-p', '0']);
    const [listening] = await run.waitForLines(1);
    expect(listening).toMatch(/^rxmqtt broker listening on mqtt:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a --ws-port outside 0..65535 with exit 2 and one line', async () => {
    const run = broker(['-p', '0', '--ws-port', '70000']);
    expect(await run.exit()).toEqual({ code: 2, signal: null });
    expect(run.stderr.trim()).toBe('rxmqtt: --ws-port must be an integer in 0..65535, got 70000');
  });
});
