// The process crash.spec.ts kills and restarts: an rxmqtt client with a FileStore, clean: false
// and a fixed client id.
//
//   node crash-child.mjs <build dir> <broker url> <store dir> <client id> publish <count>
//     publishes <count> messages, alternately QoS 1 to crash/1 and QoS 2 to crash/2 (payload: the
//     sequence number), 20 per event-loop turn, and prints "<qos> <seq>" once cbStorePut fired
//     (the message is in the store, on disk: accepted). Runs until it is killed.
//   node crash-child.mjs <build dir> <broker url> <store dir> <client id> resume
//     publishes nothing: prints "restored <n>" (packets in the store), connects, prints
//     "session <sessionPresent>", ends once every resumed message is acknowledged, prints
//     "left <n>" (packets still in the store) and exits.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [buildDir, url, storeDir, clientId, mode, countArg] = process.argv.slice(2);
const { connect, FileStore } = await import(pathToFileURL(join(buildDir, 'lib', 'index.js')).href);

const PER_TURN = 20;
const store = new FileStore(storeDir);
const restored = store.size;
const client = connect(url, { clientId, clean: false, outgoingStore: store, keepalive: 30, reconnectPeriod: 100 });
client.on('error', (error) => console.error(`error ${error.code ?? ''} ${error.message}`));

if (mode === 'publish') {
  const count = Number(countArg);
  let seq = 0;
  const burst = () => {
    for (let k = 0; k < PER_TURN && seq < count; k++, seq++) {
      const i = seq;
      const qos = i % 2 === 0 ? 1 : 2;
      client.publish(`crash/${qos}`, String(i), { qos, cbStorePut: () => console.log(`${qos} ${i}`) });
    }
    if (seq < count) setImmediate(burst);
  };
  client.once('connect', burst);
} else {
  console.log(`restored ${restored}`);
  client.once('connect', (connack) => {
    console.log(`session ${connack.sessionPresent}`);
    client.end(false, () => {
      console.log(`left ${store.size}`);
      store.close();
    });
  });
}
