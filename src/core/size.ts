/**
 * Flash and RAM estimate of an exported model on Cortex-M4F. Table bytes are exact (they are
 * the const arrays of the header); code bytes are constants for the runtime's evaluator,
 * measured with arm-none-eabi-gcc 12.2 -Os as tests/python/test_estimates_calibration.py
 * does: a main that calls predict, linked with --gc-sections, minus an empty main. gcc folds
 * the const model descriptor into the code, so the code constants are what the link adds
 * beyond the tables. src/core/targets.ts scales the code to other cores and adds the C
 * libraries a prediction pulls in (soft float, expf).
 */
import type { LoweredModel } from './compile';
import type { Strategy } from './emit';
import { withStageSize } from './featureStage';
import { FeatureType, ForestTables, LEAF, treeNodes, valueCount } from './forest';
import { GaussianTables } from './gaussian';
import { NeighborsIR, SvmIR, classStart } from './kernels';
import { NetTables } from './net';

export interface SizeItem {
  name: string;
  bytes: number;
}

export interface SizeEstimate {
  target: string;
  flashBytes: number;
  ramBytes: number;
  /** Flash by table, plus the evaluator code. */
  flash: SizeItem[];
  /** Peak stack use of one prediction. */
  ram: SizeItem[];
}

/** Class names in flash: a pointer and the NUL-terminated text of each. */
function classNamesBytes(classNames: string[]): number {
  return classNames.reduce((sum, c) => sum + 4 + c.length + 1, 0);
}

/** A Cortex-M4F estimate from its items, the empty flash items left out. */
function m4fEstimate(flash: SizeItem[], ram: SizeItem[]): SizeEstimate {
  const kept = flash.filter(item => item.bytes > 0);
  return {
    target: 'cortex-m4f',
    flashBytes: kept.reduce((sum, item) => sum + item.bytes, 0),
    ramBytes: ram.reduce((sum, item) => sum + item.bytes, 0),
    flash: kept,
    ram
  };
}

/**
 * Table-walk evaluator code (model_predict with the runtime inlined) on Cortex-M4F (Thumb-2,
 * hard float, -Os): 50-136 B float32 and 184-275 B quantized on forests of 3-20 trees, 2-3
 * classes, regressors too. Stack frames besides the output scratch and quantized features
 * from bench/size/evaluator_size.sh.
 */
const CODE_BYTES: Record<FeatureType, number> = { float32: 80, int16: 200, int8: 200 };
const STACK_FRAME_BYTES: Record<FeatureType, number> = { float32: 36, int16: 40, int8: 36 };
/** Rescaling uint8 leaf sums (k/255) adds this much code; int16 leaves' int32 sum adds none measurable. */
const U8_LEAF_CODE_BYTES = 32;

/**
 * Inline tree code on Cortex-M4F (-Os, arm-none-eabi-gcc 12.2), fitted (least squares on the
 * relative error of the total) on 18 random forests of wine, breast_cancer and digits (1 to
 * 20 trees, depth 3 to 12, 6 to 1543 splits): bytes per split (its leaf return included), per
 * tree (function and dispatch case) and once (the quantizing prologue). Totals within 17%.
 */
const INLINE_BYTES: Record<FeatureType, { split: number; tree: number; base: number }> = {
  float32: { split: 21, tree: 14, base: 0 },
  int16: { split: 14, tree: 14, base: 85 },
  int8: { split: 12, tree: 0, base: 115 }
};

export function estimateForestSize(tables: ForestTables, classNames: string[], strategy: Strategy = 'tables'): SizeEstimate {
  // Inline code writes each tree's reachable nodes: a subtree shared by several trees once per tree.
  let splits = 0;
  if (strategy === 'inline') {
    for (let t = 0; t < tables.nTrees; t++) {
      splits += treeNodes(tables, t).filter(i => tables.nodeFeature[i] !== LEAF).length;
    }
  }
  const walk: SizeItem[] =
    strategy === 'tables'
      ? [
          { name: 'tree roots', bytes: tables.treeRoot.byteLength },
          { name: 'node features', bytes: tables.nodeFeature.byteLength },
          { name: 'node children', bytes: tables.nodeNext.byteLength },
          { name: 'thresholds', bytes: (tables.thresholdF32 ?? tables.thresholdI16 ?? tables.thresholdI8 ?? new Uint8Array(0)).byteLength }
        ]
      : [
          {
            name: 'inline tree code',
            bytes: splits * INLINE_BYTES[tables.featureType].split + tables.nTrees * INLINE_BYTES[tables.featureType].tree
          }
        ];
  const flash: SizeItem[] = [
    ...walk,
    { name: 'feature scales', bytes: tables.featureScale?.byteLength ?? 0 },
    { name: 'feature offsets', bytes: tables.featureOffset?.byteLength ?? 0 },
    { name: 'leaf values', bytes: (tables.leafU8 ?? tables.leafI16 ?? tables.leafValues).byteLength },
    { name: 'baseline', bytes: tables.baseline?.byteLength ?? 0 },
    { name: 'tree outputs', bytes: tables.treeOutput?.byteLength ?? 0 },
    // 23 four-byte fields of tml_forest_t; class names as pointers plus their text.
    { name: 'model descriptor', bytes: 92 },
    { name: 'class names', bytes: classNamesBytes(classNames) },
    {
      name: 'evaluator code',
      bytes:
        (strategy === 'tables' ? CODE_BYTES[tables.featureType] : INLINE_BYTES[tables.featureType].base) +
        (tables.leafU8 ? U8_LEAF_CODE_BYTES : 0)
    }
  ];
  const ram: SizeItem[] = [
    { name: 'output scratch', bytes: 4 * valueCount(tables) },
    { name: 'quantized features (at most)', bytes: tables.featureType !== 'float32' ? 2 * tables.nFeatures : 0 },
    { name: 'call frames', bytes: STACK_FRAME_BYTES[tables.featureType] }
  ].filter(item => item.bytes > 0);
  return m4fEstimate(flash, ram);
}

/**
 * The network runtime (tml_net_predict with every kernel, chosen per layer at run time) on
 * Cortex-M4F, arm-none-eabi-gcc 12.2 -Os, linked from predict: 1152-1176 B float32 and
 * 2766-2778 B int8 for MLPs, a scaler + logistic regression and a conv1d/pool/dense net alike.
 * A single-layer net (a linear model) lets gcc fold the layer loop: 224-264 B float32, 930 B
 * int8. The int8 SMLAD kernels (Cortex-M4/M7 only) added 120-130 B to an MLP and 220 B to a
 * single-layer net (logistic regression on digits); M3 and M0+ build the portable loops,
 * within 2% of the old size scaled by codeFactor, so the figures are the M4F ones and the
 * other cores come out 1-7% high. Its stack besides the arena and the output buffer, the
 * deepest call chain from -fstack-usage: about 280 B.
 */
const NET_CODE_BYTES: Record<NetTables['featureType'], { one: number; many: number }> = {
  float32: { one: 250, many: 1170 },
  int8: { one: 1100, many: 2900 }
};
const NET_STACK_FRAME_BYTES = 280;
/** tml_layer_t: 29 four-byte fields; tml_net_t: 4. */
const LAYER_DESCRIPTOR_BYTES = 116;
const NET_DESCRIPTOR_BYTES = 16;

export function estimateNetSize(tables: NetTables, classNames: string[]): SizeEstimate {
  const bytes = (pick: (l: NetTables['layers'][number]) => ArrayLike<number> & { byteLength: number } | null): number =>
    tables.layers.reduce((sum, l) => sum + (pick(l)?.byteLength ?? 0), 0);
  const flash: SizeItem[] = [
    { name: 'weights', bytes: bytes(l => l.weightF32) + bytes(l => l.weightI8) },
    { name: 'biases', bytes: bytes(l => l.biasF32) + bytes(l => l.biasI32) },
    { name: 'requantization', bytes: bytes(l => l.multiplier) + bytes(l => l.shift) + bytes(l => l.channelScale) },
    { name: 'layer descriptors', bytes: LAYER_DESCRIPTOR_BYTES * tables.layers.length + NET_DESCRIPTOR_BYTES },
    { name: 'class names', bytes: classNamesBytes(classNames) },
    { name: 'runtime code', bytes: NET_CODE_BYTES[tables.featureType][tables.layers.length === 1 ? 'one' : 'many'] }
  ];
  const ram: SizeItem[] = [
    { name: 'activation arena', bytes: tables.arenaBytes },
    { name: 'output buffer', bytes: 4 * tables.nOutputs },
    { name: 'call frames', bytes: NET_STACK_FRAME_BYTES }
  ];
  return m4fEstimate(flash, ram);
}

/**
 * tml_gauss_log_prob with the Mahalanobis kernel of the model's covariance type (gcc keeps
 * only that one) and the argmax, on Cortex-M4F (arm-none-eabi-gcc 12.2 -Os, linked from
 * predict: 52-146 B), and its stack frame.
 */
const GAUSS_CODE_BYTES = 110;
/**
 * A pipeline's preprocessing net in front of a Gaussian, SVM or neighbour model: the float32
 * net runtime, not folded (about 950 B measured in front of a KNeighborsClassifier), plus its
 * weights.
 */
const PRE_NET_CODE_BYTES = 950;

/** Flash of a pipeline's preprocessing (scalers, PCA) run as a float32 net before the model. */
function preprocessItem(pre: NetTables | null | undefined): SizeItem[] {
  if (!pre) {
    return [];
  }
  const weights = pre.layers.reduce(
    (sum, l) => sum + (l.weightF32?.byteLength ?? 0) + (l.biasF32?.byteLength ?? 0),
    0
  );
  return [{ name: 'preprocessing', bytes: weights + LAYER_DESCRIPTOR_BYTES * pre.layers.length + PRE_NET_CODE_BYTES }];
}
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
 * svm.h and knn.h code on Cortex-M4F, -Os, linked from predict (gcc keeps the model's kernel
 * only): an SVM's decision 68-76 B with two classes, 288 B with the one-vs-one votes of ten;
 * nearest neighbours 290-302 B.
 */
const KERNEL_CODE_BYTES = { svm: 80, svmVotes: 210, neighbors: 300 };

export function estimateKernelSize(ir: SvmIR | NeighborsIR, classNames: string[], pre: NetTables | null = null): SizeEstimate {
  const names = ir.task === 'classification' ? classNamesBytes(classNames) : 0;
  const flash: SizeItem[] =
    ir.family === 'svm'
      ? [
          { name: 'support vectors', bytes: ir.supportVectors.byteLength },
          { name: 'dual coefficients', bytes: ir.dualCoef.byteLength + ir.intercept.byteLength + classStart(ir).byteLength },
          { name: 'model descriptor', bytes: 44 },
          { name: 'class names', bytes: names },
          { name: 'runtime code', bytes: KERNEL_CODE_BYTES.svm + (ir.intercept.length > 1 ? KERNEL_CODE_BYTES.svmVotes : 0) },
          ...preprocessItem(pre)
        ]
      : [
          { name: 'stored samples', bytes: ir.samples.byteLength },
          { name: 'labels / targets', bytes: (ir.labels ?? ir.targets ?? new Uint8Array(0)).byteLength },
          { name: 'model descriptor', bytes: 40 },
          { name: 'class names', bytes: names },
          { name: 'runtime code', bytes: KERNEL_CODE_BYTES.neighbors },
          ...preprocessItem(pre)
        ];
  const ram: SizeItem[] =
    ir.family === 'svm'
      ? [{ name: 'kernel values', bytes: 4 * ir.nSupport }, { name: 'decisions', bytes: 4 * ir.intercept.length }]
      : [{ name: 'nearest k (distance, index)', bytes: 8 * ir.k }, { name: 'outputs', bytes: 4 * ir.nOutputs }];
  ram.push({ name: 'call frames', bytes: 64 });
  return m4fEstimate(flash, ram);
}

/**
 * The Cortex-M4F estimate of a lowered model of any family, for one code strategy: its
 * preprocessing net (a pipeline in front of a Gaussian, SVM or neighbour model) and its
 * feature stage included. The one place the compiler, the widget and the target profiles
 * take a model's size from.
 */
export function estimateSize(model: LoweredModel, strategy: Strategy = 'tables'): SizeEstimate {
  const names = model.ir.classes.map(String);
  let size: SizeEstimate;
  switch (model.family) {
    case 'tree_ensemble':
      size = estimateForestSize(model.tables, names, strategy);
      break;
    case 'neural_net':
      size = estimateNetSize(model.tables, names);
      break;
    case 'gaussian':
      size = estimateGaussianSize(model.tables, names, model.ir.task, model.pre);
      break;
    default:
      size = estimateKernelSize(model.ir, names, model.pre);
  }
  const stage = model.ir.featureStage;
  return stage ? withStageSize(size, stage) : size;
}
