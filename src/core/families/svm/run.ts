/** An SVM on the C runtime's WebAssembly build: tml_wasm_svm_run through the model methods. */
import { runtimeCode } from '../../runtime/codes';
import { WasmRuntime, packDescriptor } from '../../runtime/wasmRuntime';
import { SvmIR, classStart, svmDecisions, svmValueCount } from './ir';

/**
 * Runs an SVM: values are decision_function (ovr-shaped for 3+ classes unless "ovo"; an SVR's
 * predict) or a one-class SVM's score_samples; classes are predict's (votes; 0 = outlier).
 */
export function runSvm(ir: SvmIR, x: Float32Array, nRows: number): { values: Float32Array; classes: Int32Array } {
  const runtime = WasmRuntime.load();
  const arena = runtime.arena();
  const nClasses = ir.task === 'classification' ? ir.classes.length : 1;
  const anomaly = ir.task === 'anomaly';
  const descriptor = packDescriptor(
    arena,
    'svm',
    {
      n_features: ir.modelFeatures,
      n_support: ir.nSupport,
      n_classes: nClasses,
      kernel: runtimeCode('kernel', ir.kernel),
      gamma: ir.gamma,
      coef0: ir.coef0,
      degree: ir.degree,
      support: ir.supportVectors,
      class_start: nClasses >= 2 ? classStart(ir) : null,
      dual_coef: ir.dualCoef,
      intercept: ir.intercept,
      shape: runtimeCode('svmShape', ir.decisionShape),
      offset: anomaly ? ir.offset : 0
    },
    { keep: true }
  );
  const nScratch = ir.nSupport + svmDecisions(ir);
  const width = anomaly ? 1 : svmValueCount(ir);
  const descAt = arena.write(descriptor);
  const xAt = arena.write(x);
  const scratchAt = arena.reserve(4 * nScratch);
  const valuesAt = arena.reserve(4 * nRows * width);
  const classesAt = arena.reserve(4 * nRows);
  const status = runtime.exports.tml_wasm_svm_run(
    descAt,
    xAt,
    nRows,
    anomaly ? 1 : 0,
    scratchAt,
    nScratch,
    valuesAt,
    classesAt
  );
  runtime.check(status, 'the SVM');
  return { values: runtime.floats(valuesAt, nRows * width), classes: runtime.ints(classesAt, nRows) };
}
