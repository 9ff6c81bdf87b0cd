/**
 * Starts the Inspector's worker. webpack 5 sees `new Worker(new URL(..., import.meta.url))`
 * and bundles computeWorker.js with everything it imports as a chunk of its own, loaded from
 * the extension's static files. Kept apart from the modules jest loads: ts-jest compiles to
 * CommonJS, where import.meta does not exist (jest has no Worker and computes on the page).
 */
import type { WorkerPort } from './inspectorCompute';

export function startComputeWorker(): WorkerPort {
  return new Worker(new URL('./computeWorker.js', import.meta.url)) as unknown as WorkerPort;
}
