/**
 * The IR of support vector machines (family "svm": SVC, NuSVC, SVR, NuSVR, OneClassSVM) as
 * tinyml_lab's SVM reader writes it, checked here; the runtime (tinyml/svm.h) runs its
 * float32 arrays as they are.
 */
import { fail, finiteNumber, floatArray } from '../../ir/read';
import { BaseIR, CommonFields, IR_FORMAT } from '../../ir/types';
import type { PreprocessedIR } from '../preprocess';
import { shown } from '../../ir/show';

export type Kernel = 'linear' | 'rbf' | 'poly' | 'sigmoid';
const KERNELS: Kernel[] = ['linear', 'rbf', 'poly', 'sigmoid'];

export interface SvmIR extends BaseIR, PreprocessedIR {
  family: 'svm';
  task: 'classification' | 'regression' | 'anomaly';
  kernel: Kernel;
  gamma: number;
  coef0: number;
  degree: number;
  nSupport: number;
  /** [nSupport * D] */
  supportVectors: Float32Array;
  /** Support vectors per class (classification), in class order. */
  supportPerClass: number[];
  /** [rows * nSupport] */
  dualCoef: Float32Array;
  intercept: Float32Array;
  /** decision_function's shape: "ovr" (scikit-learn's default) or the raw "ovo" pairs. */
  decisionShape: 'ovr' | 'ovo';
  /** OneClassSVM: score_samples = decision_function + offset. */
  offset: number;
}

export function parseSvmIR(obj: Record<string, unknown>, common: CommonFields): SvmIR {
  const task = obj.task as SvmIR['task'];
  const kernel = obj.kernel as Kernel;
  if (!KERNELS.includes(kernel)) {
    fail('kernel', `expected one of ${KERNELS.join(', ')}, got ${shown(obj.kernel)}`);
  }
  const sv = floatArray(obj.support_vectors, 'support_vectors', 2);
  if (sv.shape[1] !== common.nFeatures || sv.shape[0] < 1) {
    fail('support_vectors', `expected shape [n_support, ${common.nFeatures}], got ${shown(sv.shape)}`);
  }
  const nSupport = sv.shape[0];
  const nClasses = task === 'classification' ? common.classes.length : 1;
  const dual = floatArray(obj.dual_coef, 'dual_coef', 2);
  if (dual.shape[0] !== Math.max(nClasses - 1, 1) || dual.shape[1] !== nSupport) {
    fail('dual_coef', `expected shape [${Math.max(nClasses - 1, 1)}, ${nSupport}], got ${shown(dual.shape)}`);
  }
  const intercept = floatArray(obj.intercept, 'intercept', 1).data;
  const nDecisions = nClasses >= 3 ? (nClasses * (nClasses - 1)) / 2 : 1;
  if (intercept.length !== nDecisions) {
    fail('intercept', `expected ${nDecisions} value(s), got ${intercept.length}`);
  }
  let supportPerClass: number[] = [];
  if (task === 'classification') {
    const counts = obj.n_support;
    if (
      !Array.isArray(counts) ||
      counts.length !== nClasses ||
      counts.some(n => !Number.isInteger(n) || n < 1) ||
      counts.reduce((a: number, b: number) => a + b, 0) !== nSupport
    ) {
      fail('n_support', `expected ${nClasses} positive counts adding up to ${nSupport}`);
    }
    supportPerClass = counts as number[];
  }
  return {
    format: IR_FORMAT,
    ...common,
    modelFeatures: common.nFeatures,
    preprocess: null,
    family: 'svm',
    task,
    kernel,
    gamma: finiteNumber(obj.gamma, 'gamma', v => v > 0, "a positive number within float32's range"),
    coef0: finiteNumber(obj.coef0 ?? 0, 'coef0', () => true, "a finite number within float32's range"),
    degree: finiteNumber(
      obj.degree ?? 3,
      'degree',
      v => Number.isInteger(v) && v >= 1 && v <= 32,
      'an integer in [1, 32]'
    ),
    nSupport,
    supportVectors: sv.data,
    supportPerClass,
    dualCoef: dual.data,
    intercept,
    decisionShape: obj.decision_shape === 'ovo' ? 'ovo' : 'ovr',
    offset: finiteNumber(obj.offset ?? 0, 'offset', () => true, "a finite number within float32's range")
  };
}

/** Decisions an SVM computes per row: one per class pair (3+ classes), else one. */
export function svmDecisions(ir: SvmIR): number {
  const c = ir.task === 'classification' ? ir.classes.length : 1;
  return c >= 3 ? (c * (c - 1)) / 2 : 1;
}

/** Values per row the device reports: decision_function's columns, or the prediction. */
export function svmValueCount(ir: SvmIR): number {
  const c = ir.classes.length;
  if (ir.task !== 'classification' || c === 2) {
    return 1;
  }
  return ir.decisionShape === 'ovo' ? svmDecisions(ir) : c;
}

/** Class start offsets of the support vectors (the runtime's class_start). */
export function classStart(ir: SvmIR): Int32Array {
  const start = new Int32Array(ir.supportPerClass.length + 1);
  ir.supportPerClass.forEach((n, c) => (start[c + 1] = start[c] + n));
  return start;
}

/** What the widgets show of an SVM: support vectors per class. */
export interface SvmStructure {
  /** Support vectors per class (one entry for regression / one-class). */
  storedPerClass: number[];
  labels: string[];
  stored: number;
  what: string;
}

export function describeSvm(ir: SvmIR): SvmStructure {
  const per = ir.task === 'classification' ? ir.supportPerClass : [ir.nSupport];
  return {
    storedPerClass: per,
    labels: ir.task === 'classification' ? ir.classes.map(String) : ['all'],
    stored: ir.nSupport,
    what: `support vectors (${ir.kernel} kernel)`
  };
}
