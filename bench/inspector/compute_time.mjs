// Times the Inspector's computation (src/widgets/inspectorCompute.ts) step by step on a widget
// state written by compute_time.py, with the compiler core bundle the Python package ships.
// The arrays are handed over as bytes, as the browser receives them (no base64 decoding).
import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import vm from 'vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// in this realm: the bundle's decodeArray checks for this realm's Uint8Array
const core = vm.runInThisContext(
  `${readFileSync(join(root, 'tinyml_lab', 'js', 'tinyml_core.js'), 'utf8')}\nTinyMLCore`
);

/** Encoded arrays' base64 text as bytes: what the kernel's binary buffers become in the browser. */
const asBytes = value => {
  if (Array.isArray(value)) {
    return value.map(asBytes);
  }
  if (value && typeof value === 'object') {
    if (typeof value.data === 'string' && 'dtype' in value && 'shape' in value) {
      return { ...value, data: new Uint8Array(Buffer.from(value.data, 'base64')) };
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asBytes(v)]));
  }
  return value;
};

const state = asBytes(JSON.parse(readFileSync(process.argv[2], 'utf8')));
const rows = [];
const timed = (step, work) => {
  const start = performance.now();
  const result = work();
  rows.push([step, performance.now() - start]);
  return result;
};

const { array: x, shape } = timed('decode rows', () => core.decodeArray(state.data.x, 'float32', 'X_test'));
const reference = {
  classes: core.decodeArray(state.data.reference.classes, 'int32', 'classes').array,
  values: core.decodeArray(state.data.reference.values, 'float64', 'values').array
};
const options = core.resolveOptions({ ...state.options, target: state.target, calibration: x });
const ir = timed('parse IR', () => core.parseModelIR(state.ir));
const lowered = timed('lower (current option)', () => core.lowerParsed(ir, options));
const model = timed('compile (header, size)', () => core.compileLowered(lowered));
// every option: a piece is the work between two pauses of tradeoffSteps
const steps = core.tradeoffSteps(model, x, shape[0], reference);
const pieces = [];
let points;
for (;;) {
  const start = performance.now();
  const next = steps.next();
  pieces.push(performance.now() - start);
  if (next.done) {
    points = next.value;
    break;
  }
}
rows.push([`trade-off: ${points.length} options, ${pieces.length} pieces`, pieces.reduce((a, b) => a + b, 0)]);
timed(`target estimates (${core.TARGETS.length} x ${points.length})`, () =>
  core.TARGETS.flatMap(t => points.map(p => core.estimateForTarget(p.model, t, { strategy: p.strategy })))
);
const other = points.find(p => p.featureType !== model.options.featureType);
timed(`switch to ${other.label} (header, size, fit)`, () => {
  const switched = core.compileLowered({
    ...other.model,
    options: { ...other.model.options, strategy: other.strategy }
  });
  return core.estimateForTarget(switched, state.target);
});
for (const [step, ms] of rows) {
  console.log(`${step.padEnd(48)} ${ms.toFixed(0).padStart(6)} ms`);
}
const opening = rows.slice(0, 6).reduce((sum, [, ms]) => sum + ms, 0);
console.log(`${'opening, all steps'.padEnd(48)} ${opening.toFixed(0).padStart(6)} ms`);
console.log(
  `${'longest piece'.padEnd(48)} ${Math.max(...pieces, ...rows.map(([, ms]) => ms).slice(1, 3))
    .toFixed(0)
    .padStart(6)} ms`
);
