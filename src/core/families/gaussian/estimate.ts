/**
 * Size and cost of a Gaussian model: flash and stack on Cortex-M4F (tables exact, code
 * measured), the code on other cores, the C library it pulls in, and the instructions of one
 * prediction.
 */
import { OperationCount, addOperations } from '../../estimate/costs';
import { LibraryBytes, TargetProfile, armCodeFactor } from '../../estimate/profiles';
import { SizeEstimate, SizeItem, classNamesBytes, m4fEstimate } from '../../estimate/size';
import { NetTables } from '../nets/lower';
import { preprocessItem, preprocessLibraries, preprocessOperations } from '../preprocess';
import { GaussianTables } from './ir';

/**
 * tml_gauss_log_prob with the Mahalanobis kernel of the model's covariance type (gcc keeps
 * only that one) and the argmax, on Cortex-M4F (arm-none-eabi-gcc 12.2 -Os, linked from
 * predict: 52-146 B), and its stack frame.
 */
const GAUSS_CODE_BYTES = 110;
const GAUSS_STACK_FRAME_BYTES = 48;

export function estimateGaussianSize(
  tables: GaussianTables,
  classNames: string[],
  task: string,
  pre: NetTables | null = null
): SizeEstimate {
  const flash: SizeItem[] = [
    { name: 'means', bytes: tables.means.byteLength },
    { name: 'precision factors', bytes: tables.precChol.byteLength },
    { name: 'component constants', bytes: tables.logNorm.byteLength },
    { name: 'model descriptor', bytes: 24 },
    { name: 'class names', bytes: task === 'classification' ? classNamesBytes(classNames) : 0 },
    { name: 'runtime code', bytes: GAUSS_CODE_BYTES },
    ...preprocessItem(pre)
  ];
  const ram: SizeItem[] = [
    { name: 'component log-likelihoods', bytes: 4 * tables.nComponents },
    { name: 'call frames', bytes: GAUSS_STACK_FRAME_BYTES }
  ];
  return m4fEstimate(flash, ram);
}

/**
 * The Gaussian code on RV32IMC and AVR relative to Cortex-M4F: gcc's code over the M4F
 * estimate's (bench/rv32/fit_code_size.py; bench/avr/fit_code_size.py: avr-gcc 2.7x for naive
 * Bayes and a diagonal mixture, 4.95x for a full-covariance one).
 */
const ISA_CODE_FACTORS = { rv32imc: 1.6, avr8: 3.2 };

export function gaussianCodeFactor(profile: TargetProfile): number {
  return profile.isa === 'thumb2' || profile.isa === 'thumb1' ? armCodeFactor(profile) : ISA_CODE_FACTORS[profile.isa];
}

/** Soft-float helpers (with an FPU, Thumb-2 and Thumb-1 soft float); predict needs no expf. */
const LIBRARIES: LibraryBytes = [0, 1060, 2720, 3608, 496];

export function gaussianLibraries(pre: NetTables | null): LibraryBytes[] {
  return [LIBRARIES, ...preprocessLibraries(pre)];
}

/**
 * Cortex-M4F instructions, fitted on QEMU counts of predict (GaussianNB and GaussianMixture of
 * every covariance type, 2-10 components of 4-64 features: within 8%): per triangular
 * precision multiply-add (full, tied), per component feature, per component.
 */
const GAUSS_INSTRUCTIONS = { triangular: 9.4, feature: 8.3, sphericalFeature: 6.3, component: 19 };

export function gaussianOperations(g: GaussianTables, pre: NetTables | null): OperationCount {
  const [k, d] = [g.nComponents, g.nFeatures];
  const cost = GAUSS_INSTRUCTIONS;
  const triangular = g.covariance === 'full' || g.covariance === 'tied' ? (d * (d + 1)) / 2 : 0;
  const instructions =
    k *
    (triangular * cost.triangular +
      d * (g.covariance === 'spherical' ? cost.sphericalFeature : cost.feature) +
      cost.component);
  // per multiply-add a subtract, multiply and add; per feature (diag, spherical) or row (full,
  // tied) a square and an add, diag also its subtract and scale. Predict takes the argmax of
  // the log-likelihoods: no expf.
  const perFeature = g.covariance === 'diag' ? 4 : g.covariance === 'spherical' ? 3 : 2;
  const floatOps = k * (3 * triangular + perFeature * d + 2);
  return addOperations({ instructions, floatOps, mathCalls: 0 }, preprocessOperations(pre));
}
