/**
 * Flash and RAM estimate of an exported forest. Table bytes are exact (they are the
 * const arrays of the header); code bytes are per-target constants for the runtime's
 * evaluator, measured with arm-none-eabi-gcc -Os.
 */
import type { Strategy } from './emit';
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

/**
 * Evaluator code (model_predict with the runtime inlined) and its stack frame besides the
 * output scratch and quantized features, on Cortex-M4F (Thumb-2, hard float, -Os), as arm-none-eabi-gcc
 * 12.2 builds them; bench/size/evaluator_size.sh measures them again.
 */
const CODE_BYTES: Record<FeatureType, number> = { float32: 224, int16: 364, int8: 360 };
const STACK_FRAME_BYTES: Record<FeatureType, number> = { float32: 36, int16: 40, int8: 36 };
/** The int32 fixed-point sum of int16 leaves (a boosted regressor on diabetes: 152 -> 164 B). */
const I16_LEAF_CODE_BYTES = 12;

/**
 * Inline tree code on Cortex-M4F (-Os, arm-none-eabi-gcc 12.2), fitted on 12 random forests of
 * iris, wine, breast_cancer and digits (5 to 20 trees, 33 to 2349 splits): bytes per split
 * (its leaf return included) and per tree (function and dispatch case). Within 25% for
 * forests of 100+ splits, up to 40% off for tiny ones.
 */
const INLINE_BYTES: Record<FeatureType, { split: number; tree: number }> = {
  float32: { split: 20, tree: 76 },
  int16: { split: 13, tree: 45 },
  int8: { split: 13, tree: 45 }
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
    {
      name: 'class names',
      bytes: classNames.reduce((sum, c) => sum + 4 + c.length + 1, 0)
    },
    { name: 'evaluator code', bytes: CODE_BYTES[tables.featureType] + (tables.leafI16 ? I16_LEAF_CODE_BYTES : 0) }
  ].filter(item => item.bytes > 0);
  const ram: SizeItem[] = [
    { name: 'output scratch', bytes: 4 * valueCount(tables) },
    { name: 'quantized features (at most)', bytes: tables.featureType !== 'float32' ? 2 * tables.nFeatures : 0 },
    { name: 'call frames', bytes: STACK_FRAME_BYTES[tables.featureType] }
  ].filter(item => item.bytes > 0);
  return {
    target: 'cortex-m4f',
    flashBytes: flash.reduce((s, i) => s + i.bytes, 0),
    ramBytes: ram.reduce((s, i) => s + i.bytes, 0),
    flash,
    ram
  };
}

/**
 * The network runtime (tml_net_predict with every kernel, chosen per layer at run time) on
 * Cortex-M4F, arm-none-eabi-gcc 12.2 -Os: 1468-1470 B float32 and 2600-2634 B int8 for an MLP
 * and a conv1d/pool/affine/tanh net alike; its stack besides the arena and the output
 * buffer, the deepest call chain from -fstack-usage: about 280 B.
 */
const NET_CODE_BYTES: Record<NetTables['featureType'], number> = { float32: 1470, int8: 2630 };
const NET_STACK_FRAME_BYTES = 280;
/** tml_layer_t: 28 four-byte fields; tml_net_t: 4. */
const LAYER_DESCRIPTOR_BYTES = 112;
const NET_DESCRIPTOR_BYTES = 16;

export function estimateNetSize(tables: NetTables, classNames: string[]): SizeEstimate {
  const bytes = (pick: (l: NetTables['layers'][number]) => ArrayLike<number> & { byteLength: number } | null): number =>
    tables.layers.reduce((sum, l) => sum + (pick(l)?.byteLength ?? 0), 0);
  const flash: SizeItem[] = [
    { name: 'weights', bytes: bytes(l => l.weightF32) + bytes(l => l.weightI8) },
    { name: 'biases', bytes: bytes(l => l.biasF32) + bytes(l => l.biasI32) },
    { name: 'requantization', bytes: bytes(l => l.multiplier) + bytes(l => l.shift) + bytes(l => l.channelScale) },
    { name: 'layer descriptors', bytes: LAYER_DESCRIPTOR_BYTES * tables.layers.length + NET_DESCRIPTOR_BYTES },
    { name: 'class names', bytes: classNames.reduce((sum, c) => sum + 4 + c.length + 1, 0) },
    { name: 'runtime code', bytes: NET_CODE_BYTES[tables.featureType] }
  ].filter(item => item.bytes > 0);
  const ram: SizeItem[] = [
    { name: 'activation arena', bytes: tables.arenaBytes },
    { name: 'output buffer', bytes: 4 * tables.nOutputs },
    { name: 'call frames', bytes: NET_STACK_FRAME_BYTES }
  ];
  return {
    target: 'cortex-m4f',
    flashBytes: flash.reduce((s, i) => s + i.bytes, 0),
    ramBytes: ram.reduce((s, i) => s + i.bytes, 0),
    flash,
    ram
  };
}

/**
 * tml_gauss_log_prob with the Mahalanobis kernel of every covariance type, plus softmax and
 * log-sum-exp, on Cortex-M4F (arm-none-eabi-gcc 12.2 -Os), and its stack frame.
 */
const GAUSS_CODE_BYTES = 620;
const GAUSS_STACK_FRAME_BYTES = 48;

export function estimateGaussianSize(tables: GaussianTables, classNames: string[], task: string): SizeEstimate {
  const flash: SizeItem[] = [
    { name: 'means', bytes: tables.means.byteLength },
    { name: 'precision factors', bytes: tables.precChol.byteLength },
    { name: 'component constants', bytes: tables.logNorm.byteLength },
    { name: 'model descriptor', bytes: 24 },
    { name: 'class names', bytes: task === 'classification' ? classNames.reduce((s, c) => s + 4 + c.length + 1, 0) : 0 },
    { name: 'runtime code', bytes: GAUSS_CODE_BYTES }
  ].filter(item => item.bytes > 0);
  const ram: SizeItem[] = [
    { name: 'component log-likelihoods', bytes: 4 * tables.nComponents },
    { name: 'call frames', bytes: GAUSS_STACK_FRAME_BYTES }
  ];
  return {
    target: 'cortex-m4f',
    flashBytes: flash.reduce((s, i) => s + i.bytes, 0),
    ramBytes: ram.reduce((s, i) => s + i.bytes, 0),
    flash,
    ram
  };
}

/** svm.h (decisions with every kernel, votes, ovr scores) and knn.h on Cortex-M4F, -Os. */
const KERNEL_CODE_BYTES = { svm: 900, neighbors: 700 };

export function estimateKernelSize(ir: SvmIR | NeighborsIR, classNames: string[]): SizeEstimate {
  const names = ir.task === 'classification' ? classNames.reduce((s, c) => s + 4 + c.length + 1, 0) : 0;
  const flash: SizeItem[] =
    ir.family === 'svm'
      ? [
          { name: 'support vectors', bytes: ir.supportVectors.byteLength },
          { name: 'dual coefficients', bytes: ir.dualCoef.byteLength + ir.intercept.byteLength + classStart(ir).byteLength },
          { name: 'model descriptor', bytes: 44 },
          { name: 'class names', bytes: names },
          { name: 'runtime code', bytes: KERNEL_CODE_BYTES.svm }
        ]
      : [
          { name: 'stored samples', bytes: ir.samples.byteLength },
          { name: 'labels / targets', bytes: (ir.labels ?? ir.targets ?? new Uint8Array(0)).byteLength },
          { name: 'model descriptor', bytes: 40 },
          { name: 'class names', bytes: names },
          { name: 'runtime code', bytes: KERNEL_CODE_BYTES.neighbors }
        ];
  const ram: SizeItem[] =
    ir.family === 'svm'
      ? [{ name: 'kernel values', bytes: 4 * ir.nSupport }, { name: 'decisions', bytes: 4 * ir.intercept.length }]
      : [{ name: 'nearest k (distance, index)', bytes: 8 * ir.k }, { name: 'outputs', bytes: 4 * ir.nOutputs }];
  ram.push({ name: 'call frames', bytes: 64 });
  const kept = flash.filter(item => item.bytes > 0);
  return {
    target: 'cortex-m4f',
    flashBytes: kept.reduce((s, i) => s + i.bytes, 0),
    ramBytes: ram.reduce((s, i) => s + i.bytes, 0),
    flash: kept,
    ram
  };
}
