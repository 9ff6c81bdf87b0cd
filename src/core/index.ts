/** The compiler core: no DOM, runs in the browser, in Node and in the embedded V8. */
export * from './agreement';
export * from './compile';
export * from './options';
export * from './tradeoff';
export * as headless from './headless';
export * from './bundle/bundle';
export * from './emit/frame';
export * from './estimate/size';
export * from './estimate/model';
export * from './estimate/targets';
export * from './ir/encoding';
export * from './ir/envelope';
export * from './ir/read';
export * from './ir/types';
export * from './runtime/wasmRuntime';
export * from './features/runtime';
export { FAMILY_IDS, familyById, familyOf } from './families/registry';
// Each family's lowering and emitters, for tests and tools that look inside one.
export * from './families/trees/ir';
export * from './families/trees/lower';
export * from './families/trees/emit';
export * from './families/trees/run';
export * from './families/nets/ir';
export * from './families/nets/lower';
export * from './families/nets/describe';
export * from './families/nets/emit';
export * from './families/nets/run';
