// jsdom lacks TextEncoder/TextDecoder, which arquero's Arrow support uses at import time, and
// DecompressionStream, which unpacks the Inspector's widget state (src/widgets/buffers.ts):
// Node's own are the ones a browser has.
const { TextDecoder, TextEncoder } = require('util');
const { DecompressionStream } = require('stream/web');

Object.assign(globalThis, { TextDecoder, TextEncoder, DecompressionStream });
