// jsdom lacks TextEncoder/TextDecoder, which arquero's Arrow support uses at import time.
const { TextDecoder, TextEncoder } = require('util');

Object.assign(globalThis, { TextDecoder, TextEncoder });
