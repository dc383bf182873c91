/**
 * MQTT.js's own first example, unchanged but for the import: an app written for MQTT.js runs on
 * rxmqtt as it is.
 *
 *   npm run build && node dist/esm/examples/mqttjs-style.js mqtt://localhost:1883
 */
import mqtt from '../lib/index.js'; // in an app: import mqtt from 'rxmqtt' (was: 'mqtt')

const client = mqtt.connect(process.argv[2] ?? 'mqtt://localhost:1883');

client.on('connect', () => {
  client.subscribe('presence', (err) => {
    if (!err) client.publish('presence', 'Hello mqtt');
  });
});

client.on('message', (topic, message) => {
  // message is a Buffer
  console.log(`${topic}: ${message.toString()}`);
  client.end();
});
