/**
 * The Inspector's Web Worker: the compiler core and the C runtime's WebAssembly build run here,
 * off the page's main thread, answering the panel's messages (inspectorCompute.ts). It imports
 * no package JupyterLab shares between extensions: a worker has no share scope to find them in.
 */
import { ComputePort, serveComputations } from './inspectorCompute';

serveComputations(self as unknown as ComputePort);
