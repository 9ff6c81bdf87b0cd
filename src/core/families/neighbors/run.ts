/** A nearest-neighbour model on the C runtime's WebAssembly build: tml_wasm_knn_run through the model methods. */
import { runtimeCode } from '../../runtime/codes';
import { WasmRuntime, packDescriptor } from '../../runtime/wasmRuntime';
import { NeighborsIR } from './ir';

/** Runs a nearest-neighbour model: probabilities (classifier) or predictions, and classes. */
export function runNeighbors(
  ir: NeighborsIR,
  x: Float32Array,
  nRows: number
): { values: Float32Array; classes: Int32Array } {
  const runtime = WasmRuntime.load();
  const arena = runtime.arena();
  const descriptor = packDescriptor(
    arena,
    'knn',
    {
      n_samples: ir.nSamples,
      n_features: ir.modelFeatures,
      n_outputs: ir.nOutputs,
      k: ir.k,
      metric: runtimeCode('metric', ir.metric),
      p: ir.p,
      weights: runtimeCode('weights', ir.weights),
      samples: ir.samples,
      labels: ir.labels,
      targets: ir.targets
    },
    { keep: true }
  );
  const descAt = arena.write(descriptor);
  const xAt = arena.write(x);
  const distAt = arena.reserve(4 * ir.k);
  const indexAt = arena.reserve(4 * ir.k);
  const outAt = arena.reserve(4 * nRows * ir.nOutputs);
  const classesAt = arena.reserve(4 * nRows);
  const status = runtime.exports.tml_wasm_knn_run(descAt, xAt, nRows, distAt, indexAt, ir.k, outAt, classesAt);
  runtime.check(status, 'the nearest-neighbour model');
  return { values: runtime.floats(outAt, nRows * ir.nOutputs), classes: runtime.ints(classesAt, nRows) };
}
