/**
 * Size and cost of a support vector machine: flash and stack on Cortex-M4F (tables exact,
 * code measured), the code on other cores, the C library it pulls in, and the instructions of
 * one prediction.
 */
import { OperationCount, addOperations } from '../../estimate/costs';
import { LibraryBytes, TargetProfile, armCodeFactor } from '../../estimate/profiles';
import { SizeEstimate, SizeItem, classNamesBytes, m4fEstimate } from '../../estimate/size';
import { NetTables } from '../nets/lower';
import { preprocessItem, preprocessLibraries, preprocessOperations } from '../preprocess';
import { SvmIR, classStart } from './ir';

/**
 * svm.h code on Cortex-M4F, -Os, linked from predict (gcc keeps the model's kernel only): an
 * SVM's decision 68-76 B with two classes, 288 B with the one-vs-one votes of ten.
 */
const CODE_BYTES = { decision: 80, votes: 210 };

export function estimateSvmSize(ir: SvmIR, classNames: string[], pre: NetTables | null = null): SizeEstimate {
  const names = ir.task === 'classification' ? classNamesBytes(classNames) : 0;
  const flash: SizeItem[] = [
    { name: 'support vectors', bytes: ir.supportVectors.byteLength },
    { name: 'dual coefficients', bytes: ir.dualCoef.byteLength + ir.intercept.byteLength + classStart(ir).byteLength },
    { name: 'model descriptor', bytes: 44 },
    { name: 'class names', bytes: names },
    { name: 'runtime code', bytes: CODE_BYTES.decision + (ir.intercept.length > 1 ? CODE_BYTES.votes : 0) },
    ...preprocessItem(pre)
  ];
  const ram: SizeItem[] = [
    { name: 'kernel values', bytes: 4 * ir.nSupport },
    { name: 'decisions', bytes: 4 * ir.intercept.length },
    { name: 'call frames', bytes: 64 }
  ];
  return m4fEstimate(flash, ram);
}

/** The SVM code on RV32IMC and AVR relative to Cortex-M4F: gcc's code over the M4F estimate's (bench/rv32/fit_code_size.py, bench/avr/fit_code_size.py). */
const ISA_CODE_FACTORS = { rv32imc: 1.6, avr8: 3.1 };

export function svmCodeFactor(profile: TargetProfile): number {
  return profile.isa === 'thumb2' || profile.isa === 'thumb1' ? armCodeFactor(profile) : ISA_CODE_FACTORS[profile.isa];
}

/** Soft-float helpers, and expf for the non-linear kernels (with an FPU, Thumb-2 and Thumb-1 soft float). */
const LIBRARIES: Record<'linear' | 'exp', LibraryBytes> = {
  linear: [0, 900, 1916, 2396, 800],
  exp: [760, 2260, 4500, 6128, 1216]
};

export function svmLibraries(ir: SvmIR, pre: NetTables | null): LibraryBytes[] {
  return [LIBRARIES[ir.kernel === 'linear' ? 'linear' : 'exp'], ...preprocessLibraries(pre)];
}

/**
 * Cortex-M4F instructions, fitted on QEMU counts of predict (SVC linear and RBF with 3 and 10
 * classes and 17-528 support vectors: within 5%): per support-vector feature of the kernel, per
 * support vector (an RBF one adds its expf), per vector and decision it enters, per
 * one-vs-one pair and per vote of a class pair.
 */
const SVM_INSTRUCTIONS = { feature: 5, rbfFeature: 6, vector: 10, decisionTerm: 7, pair: 15, vote: 38, base: 40 };

export function svmOperations(ir: SvmIR, pre: NetTables | null): OperationCount {
  const d = ir.supportVectors.length / Math.max(1, ir.nSupport);
  const classes = ir.intercept.length > 1 ? ir.classes.length : 1;
  const pairs = ir.intercept.length;
  const rbf = ir.kernel === 'rbf';
  const cost = SVM_INSTRUCTIONS;
  const instructions =
    ir.nSupport *
      (d * (rbf ? cost.rbfFeature : cost.feature) + cost.vector + cost.decisionTerm * Math.max(1, classes - 1)) +
    pairs * cost.pair +
    (classes > 1 ? classes * classes * cost.vote : 0) +
    cost.base;
  const floatOps = ir.nSupport * (d * (rbf ? 3 : 2) + 2 * Math.max(1, classes - 1));
  const mathCalls = ir.kernel === 'linear' ? 0 : ir.nSupport;
  return addOperations({ instructions, floatOps, mathCalls }, preprocessOperations(pre));
}
