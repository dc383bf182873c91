/**
 * The SharedWorker script of `acrossTabs({ worker })`, bundled by scripts/bundle.mjs into
 * `dist/rxmqtt-shared-worker.js` (rxjs inside). The app serves that file and names its URL; every
 * tab that connects to it gets a port, which the worker hands to its one WorkerHub.
 */
import type { ChannelPort } from './channel-messages.js';
import { lockManager } from './election.js';
import { WorkerHub } from './worker-hub.js';

interface SharedWorkerScope {
  onconnect: ((event: { ports: readonly ChannelPort[] }) => void) | null;
  /** The name the tabs started the worker with (`rxmqtt:<key>`). */
  name: string;
  location?: { href: string };
}

const scope = globalThis as unknown as SharedWorkerScope;
const hub = new WorkerHub(lockManager(), scope.name, scope.location?.href);
scope.onconnect = (event) => hub.connect(event.ports[0]!);
