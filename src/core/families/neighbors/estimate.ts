/**
 * Size and cost of a nearest-neighbour model: flash and stack on Cortex-M4F (tables exact,
 * code measured), the code on other cores, the C library it pulls in, and the instructions of
 * one prediction.
 */
import { OperationCount, addOperations } from '../../estimate/costs';
import { LibraryBytes, TargetProfile, armCodeFactor } from '../../estimate/profiles';
import { SizeEstimate, SizeItem, classNamesBytes, m4fEstimate } from '../../estimate/size';
import { NetTables } from '../nets/lower';
import { preprocessItem, preprocessLibraries, preprocessOperations } from '../preprocess';
import { NeighborsIR } from './ir';

/** knn.h code on Cortex-M4F, -Os, linked from predict: 290-302 B. */
const CODE_BYTES = 300;

export function estimateNeighborsSize(
  ir: NeighborsIR,
  classNames: string[],
  pre: NetTables | null = null
): SizeEstimate {
  const names = ir.task === 'classification' ? classNamesBytes(classNames) : 0;
  const flash: SizeItem[] = [
    { name: 'stored samples', bytes: ir.samples.byteLength },
    { name: 'labels / targets', bytes: (ir.labels ?? ir.targets ?? new Uint8Array(0)).byteLength },
    { name: 'model descriptor', bytes: 40 },
    { name: 'class names', bytes: names },
    { name: 'runtime code', bytes: CODE_BYTES },
    ...preprocessItem(pre)
  ];
  const ram: SizeItem[] = [
    { name: 'nearest k (distance, index)', bytes: 8 * ir.k },
    { name: 'outputs', bytes: 4 * ir.nOutputs },
    { name: 'call frames', bytes: 64 }
  ];
  return m4fEstimate(flash, ram);
}

/** The search code on RV32IMC and AVR relative to Cortex-M4F: gcc's code over the M4F estimate's (bench/rv32/fit_code_size.py, bench/avr/fit_code_size.py). */
const ISA_CODE_FACTORS = { rv32imc: 1.35, avr8: 2.8 };

export function neighborsCodeFactor(profile: TargetProfile): number {
  return profile.isa === 'thumb2' || profile.isa === 'thumb1' ? armCodeFactor(profile) : ISA_CODE_FACTORS[profile.isa];
}

/** Soft-float helpers, sqrtf for euclidean distances (with an FPU, Thumb-2 and Thumb-1 soft float). */
const LIBRARIES: Record<'euclidean' | 'other', LibraryBytes> = {
  euclidean: [204, 1780, 3828, 5432, 910],
  other: [164, 1500, 2952, 3812, 510]
};

export function neighborsLibraries(ir: NeighborsIR, pre: NetTables | null): LibraryBytes[] {
  return [LIBRARIES[ir.metric === 'euclidean' ? 'euclidean' : 'other'], ...preprocessLibraries(pre)];
}

/**
 * Cortex-M4F instructions, fitted on QEMU counts of predict (k-neighbours of 75-899 samples, k
 * 1 and 5: within 1%): per stored feature, per sample, per neighbour kept.
 */
const KNN_INSTRUCTIONS = { feature: 6, manhattanFeature: 7, sample: 16, neighbor: 71 };

export function neighborsOperations(ir: NeighborsIR, pre: NetTables | null): OperationCount {
  const d = ir.samples.length / Math.max(1, ir.nSamples);
  const cost = KNN_INSTRUCTIONS;
  const instructions =
    ir.nSamples * (d * (ir.metric === 'euclidean' ? cost.feature : cost.manhattanFeature) + cost.sample) +
    ir.k * cost.neighbor;
  const floatOps = ir.nSamples * (3 * d + 1);
  const mathCalls = ir.metric === 'minkowski' ? ir.nSamples * d : 0;
  return addOperations({ instructions, floatOps, mathCalls }, preprocessOperations(pre));
}
