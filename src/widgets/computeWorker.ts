/**
 * The Inspector's Web Worker: the compiler core and the C runtime's WebAssembly build run here,
 * off the page's main thread, answering each Inspector on the MessagePort it sent (startWorker.ts)
 * with the same computation the page would run (inspectorCompute.ts). It imports no package
 * JupyterLab shares between extensions: a worker has no share scope to find them in.
 */
import { ComputePort, serveComputations } from './inspectorCompute';

self.onmessage = (event: MessageEvent) => {
  if ((event.data as { type?: string })?.type === 'connect') {
    serveComputations(event.ports[0] as unknown as ComputePort);
  }
};
