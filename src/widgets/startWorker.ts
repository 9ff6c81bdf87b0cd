/**
 * The Inspector's worker. webpack 5 sees `new Worker(new URL(..., import.meta.url))` and
 * bundles computeWorker.js with everything it imports as a chunk of its own, loaded from the
 * extension's static files. One worker serves every Inspector of the page, each on a
 * MessageChannel of its own: it stays warm (compiled JavaScript, instantiated WebAssembly)
 * from one cell run to the next. Kept apart from the modules jest loads: ts-jest compiles to
 * CommonJS, where import.meta does not exist (jest has no Worker and computes on the page).
 */
import type { WorkerPort } from './inspectorCompute';

let shared: Worker | null = null;

/** A channel to the page's compute worker (started on first use) for one Inspector. */
export function startComputeWorker(): WorkerPort {
  if (!shared) {
    shared = new Worker(new URL('./computeWorker.js', import.meta.url));
  }
  const worker = shared;
  const channel = new MessageChannel();
  worker.postMessage({ type: 'connect' }, [channel.port2]);
  const port: WorkerPort = {
    onmessage: null,
    onerror: null,
    postMessage: message => channel.port1.postMessage(message),
    terminate: () => {
      channel.port1.postMessage({ type: 'close' });
      channel.port1.close();
      worker.removeEventListener('error', onError);
    }
  };
  // the worker's script failed to load (or threw): every Inspector computes on the page then
  const onError = (event: ErrorEvent) => {
    if (shared === worker) {
      shared = null;
    }
    port.onerror?.(event);
  };
  worker.addEventListener('error', onError);
  channel.port1.onmessage = event => port.onmessage?.(event);
  return port;
}
