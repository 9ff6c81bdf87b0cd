/** The compiler core: no DOM, runs in the browser, in Node and in the embedded V8. */
export * from './agreement';
export * from './compile';
export * from './emit';
export * from './encoding';
export * from './forest';
export * from './ir';
export * from './size';
export * from './targets';
export * from './wasmRuntime';
export * as headless from './headless';
export * from './tradeoff';
export * from './net';
export * from './netIR';
export * from './emitNet';
export * from './bundle';
