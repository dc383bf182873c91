// The subscriber subscriber-crash.spec.ts kills and restarts: an rxmqtt client with a FileStore as
// its incomingStore, clean: false and a fixed client id.
//
//   node subscriber-crash-child.mjs <bundle> <broker url> <store dir> <client id> first
//     subscribes to subcrash/# with QoS 2, prints "subscribed", then "message <payload>" for each
//     delivery and "pubrec <id>" for each PUBREC sent. Runs until it is killed.
//   node subscriber-crash-child.mjs <bundle> <broker url> <store dir> <client id> resume
//     prints "restored <n>" (packets in the incoming store), connects, prints "session
//     <sessionPresent>", the same "message"/"pubrec" lines, and once a PUBCOMP has emptied the
//     store, "left 0"; then ends and exits.
import { pathToFileURL } from 'node:url';

const [bundle, url, storeDir, clientId, mode] = process.argv.slice(2);
const { connect, FileStore } = await import(pathToFileURL(bundle).href);

const store = new FileStore(storeDir);
const client = connect(url, { clientId, clean: false, incomingStore: store, keepalive: 30, reconnectPeriod: 100 });
client.on('error', (error) => console.error(`error ${error.code ?? ''} ${error.message}`));
client.on('message', (_topic, payload) => console.log(`message ${payload.toString()}`));
client.on('packetsend', (packet) => {
  if (packet.cmd === 'pubrec') console.log(`pubrec ${packet.messageId}`);
  if (packet.cmd === 'pubcomp' && mode === 'resume' && store.size === 0) {
    console.log('left 0');
    // Not from inside the 'packetsend' listener: the PUBCOMP is still being written.
    setImmediate(() => client.end(false, () => store.close()));
  }
});

if (mode === 'first') {
  client.once('connect', () => client.subscribe('subcrash/#', { qos: 2 }, () => console.log('subscribed')));
} else {
  console.log(`restored ${store.size}`);
  client.once('connect', (connack) => console.log(`session ${connack.sessionPresent}`));
}
