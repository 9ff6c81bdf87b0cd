/*
 * Tree walks per second of the C runtime's WebAssembly build, measured inside a JavaScript
 * engine on the compiler bundle (tinyml_lab/js/tinyml_core.js): the same function runs in
 * Node (this file as a script) and in Chromium (run.py puts it in a page). Plain JavaScript,
 * no module system: the page and Node both read it as a script.
 *
 *   node walks.js <tinyml_core.js> <ir.json> <rows.f32> <n_features>   -> one line of JSON
 */

/**
 * Lowers the IR (default options), runs it once (its tables are then kept in the runtime),
 * then times a one-row run (median of 21) and a run of all rows (best of 3).
 */
function measureWalks(core, ir, x, nFeatures) {
  const nRows = x.length / nFeatures;
  const nTrees = ir.trees.length;
  const model = core.lowerModel(ir, {});
  const oneRow = x.subarray(0, nFeatures);
  core.runOnDevice(model, oneRow, 1);
  const once = [];
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    core.runOnDevice(model, oneRow, 1);
    once.push(performance.now() - t);
  }
  once.sort((a, b) => a - b);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    core.runOnDevice(model, x, nRows);
    best = Math.min(best, performance.now() - t);
  }
  return {
    rows: nRows,
    trees: nTrees,
    one_row_ms: once[10],
    rows_ms: best,
    walks_per_s: (nRows * nTrees) / (best / 1000)
  };
}

if (typeof module !== 'undefined' && require.main === module) {
  const fs = require('fs');
  const [bundle, irPath, rowsPath, nFeatures] = process.argv.slice(2);
  globalThis.self = globalThis;
  (0, eval)(fs.readFileSync(bundle, 'utf8'));
  const bytes = fs.readFileSync(rowsPath);
  const x = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const ir = JSON.parse(fs.readFileSync(irPath, 'utf8'));
  console.log(JSON.stringify(measureWalks(globalThis.TinyMLCore, ir, x, Number(nFeatures))));
}
