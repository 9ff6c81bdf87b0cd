/**
 * Size and cost of a tree ensemble: flash and stack on Cortex-M4F (tables exact, code
 * measured), the code on other cores, the C library it pulls in, and the instructions of one
 * prediction. How each constant was measured is told where it is defined.
 */
import { OperationCount, QUANTIZE_FLOAT_OPS } from '../../estimate/costs';
import { LibraryBytes, TargetProfile, armCodeFactor } from '../../estimate/profiles';
import { SizeEstimate, SizeItem, classNamesBytes, m4fEstimate } from '../../estimate/size';
import type { FeatureType, Strategy } from '../../options';
import {
  ForestTables,
  LEAF,
  LoweredForest,
  describeForest,
  expectedSplits,
  leafWidth,
  missingGoesLeft,
  packedSplits,
  treeNodes,
  valueCount
} from './lower';
import { compactQuantization, fusedInline, generatedMean, treeWalk } from './emit';

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
 * Missing-value bits and categorical splits in table code, measured as differences on a 6-tree
 * wine forest with every other split sending NaN left and every third one categorical
 * (arm-none-eabi-gcc 12.2 -Os, Cortex-M4F, the predict wrapper of bench/size/evaluator_size.sh):
 * the general table walk (a forest with node_missing_left or categories) adds `walk` bytes to
 * the plain one, categorical splits `categoryWalk` and `categoryStack` more. Inline code pays
 * per split instead (INLINE_CODE).
 */
const GENERAL_WALK: Record<'float32' | 'quantized', { walk: number; categoryWalk: number; categoryStack: number }> = {
  float32: { walk: 136, categoryWalk: 28, categoryStack: 8 },
  quantized: { walk: 36, categoryWalk: 96, categoryStack: 16 }
};

/** The general walk's extra code and stack (table code), 0 for a plain forest. */
function generalWalkCost(tables: ForestTables): { code: number; stack: number } {
  const cost = GENERAL_WALK[tables.featureType === 'float32' ? 'float32' : 'quantized'];
  const general = tables.nodeMissingLeft !== null || tables.categoryBits !== null;
  const categorical = tables.categoryBits !== null;
  return {
    code: (general ? cost.walk : 0) + (categorical ? cost.categoryWalk : 0),
    stack: categorical ? cost.categoryStack : 0
  };
}

/** A left subtree of more splits than this puts its branch beyond a 2-byte Thumb branch's reach. */
const NEAR_BRANCH_SPLITS = 10;

/** What inline code writes, counted as INLINE_CODE prices it. */
interface InlineShape {
  splits: number;
  trees: number;
  wideLeaves: number;
  farSplits: number;
  missingTests: number;
  categorical: number;
  literals: number;
  /** Leaves of a fused predict (emit.ts fusedPredict): a vote, a class or sums, and a jump past the tree. */
  fusedLeaves: number;
  /** Non-zero leaf values a fused predict adds where its leaves are reached. */
  leafAdds: number;
  /** Splits on a feature whose bytes lie past AVR_LDD_REACH from the row's start (AVR only). */
  farFeatures: number;
  /** Leaf adds into sums that outnumber AVR_REGISTER_SUMS: spilled to the frame (AVR only). */
  spilledAdds: number;
}

/** The last byte of a row an AVR displacement load (ldd) reaches; beyond it the address is computed. */
const AVR_LDD_REACH = 63;
/** float sums avr-gcc keeps in registers across a fused predict; more live in the frame. */
const AVR_REGISTER_SUMS = 4;

/** Each lowered forest's shape, counted once: every core's estimate (and the AVR factor) asks. */
const INLINE_SHAPES = new WeakMap<ForestTables, InlineShape>();

/**
 * Counts inline code's parts, tree by tree in the order emit.ts writes them (a subtree shared
 * by several trees once per tree): splits, leaf rows above 255, splits that branch over more
 * than NEAR_BRANCH_SPLITS splits, quantized splits that test NaN's code, categorical splits,
 * and each tree's distinct constants that need a load (float32 thresholds but 0; quantized
 * ones outside 0 ... 255). bench/size/fit_inline_code.py counts the same in the C text.
 */
function inlineShape(tables: ForestTables): InlineShape {
  let shape = INLINE_SHAPES.get(tables);
  if (shape === undefined) {
    shape = countInlineShape(tables);
    INLINE_SHAPES.set(tables, shape);
  }
  return shape;
}

function countInlineShape(tables: ForestTables): InlineShape {
  const quantized = tables.thresholdI16 ?? tables.thresholdI8;
  const thresholds = quantized ?? tables.thresholdF32 ?? new Float32Array(0);
  const shape: InlineShape = {
    splits: 0,
    trees: tables.nTrees,
    wideLeaves: 0,
    farSplits: 0,
    missingTests: 0,
    categorical: 0,
    literals: 0,
    fusedLeaves: 0,
    leafAdds: 0,
    farFeatures: 0,
    spilledAdds: 0
  };
  // a row of float32 features, or of int16 quantized ones (int16 and int8 thresholds alike)
  const featureBytes = quantized ? 2 : 4;
  const fused = fusedInline(tables);
  const sums = fused && tables.leafClass === null;
  // each node's place in its tree's list (written anew per tree) and the splits listed before each place
  const position = new Int32Array(tables.nodeFeature.length);
  let splitsBefore = new Int32Array(0);
  // a tree's constants that need a load, counted distinct by sorting (a Set per tree cost more)
  let constants = new Float64Array(0);
  for (let t = 0; t < tables.nTrees; t++) {
    const nodes = treeNodes(tables, t);
    if (splitsBefore.length < nodes.length + 1) {
      splitsBefore = new Int32Array(nodes.length + 1);
      constants = new Float64Array(nodes.length);
    }
    for (let k = 0; k < nodes.length; k++) {
      position[nodes[k]] = k;
      splitsBefore[k + 1] = splitsBefore[k] + (isSplit(tables, nodes[k]) ? 1 : 0);
    }
    let nConstants = 0;
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[k];
      if (!isSplit(tables, node)) {
        const row = tables.nodeNext[node];
        shape.wideLeaves += !fused && row > 255 ? 1 : 0;
        shape.fusedLeaves += fused ? 1 : 0;
        for (let output = 0; sums && output < tables.nOutputs; output++) {
          shape.leafAdds += tables.leafValues[row * tables.nOutputs + output] !== 0 ? 1 : 0;
        }
        continue;
      }
      shape.splits++;
      const target = position[tables.nodeNext[node]];
      shape.farSplits += splitsBefore[target] - splitsBefore[k + 1] > NEAR_BRANCH_SPLITS ? 1 : 0;
      if (tables.nodeFeature[node] < LEAF) {
        shape.categorical++;
        continue;
      }
      shape.missingTests += quantized && missingGoesLeft(tables, node) ? 1 : 0;
      shape.farFeatures += (tables.nodeFeature[node] + 1) * featureBytes - 1 > AVR_LDD_REACH ? 1 : 0;
      const threshold = thresholds[node];
      if (quantized ? threshold < 0 || threshold > 255 : threshold !== 0) {
        constants[nConstants++] = threshold;
      }
    }
    shape.literals += distinctCount(constants.subarray(0, nConstants));
  }
  shape.spilledAdds = tables.nOutputs > AVR_REGISTER_SUMS ? shape.leafAdds : 0;
  return shape;
}

/** Distinct values among `values`, as a Set counts them (sorts them in place; no -0 reaches here). */
function distinctCount(values: Float64Array): number {
  values.sort();
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    count += i === 0 || !Object.is(values[i], values[i - 1]) ? 1 : 0;
  }
  return count;
}

function isSplit(tables: ForestTables, node: number): boolean {
  return tables.nodeFeature[node] !== LEAF;
}

/** The Arm cores inline code is priced for: with an FPU (M4F, M7), Thumb-2 without one (M3), Thumb-1 (M0+). */
type InlineCore = 'fpu' | 'thumb2Soft' | 'thumb1';
type InlineCost = Record<
  Exclude<keyof InlineShape, 'fusedLeaves' | 'leafAdds' | 'farFeatures' | 'spilledAdds'>,
  number
> & { base: number };

/**
 * Inline tree code (-Os, arm-none-eabi-gcc 12.2), bytes per: split, tree (function and dispatch
 * case), leaf row above 255 (a 4-byte move where a 2-byte one does), split branching beyond a
 * 2-byte branch's reach, quantized NaN test, categorical split (the runtime's bit test, inlined),
 * distinct constant a tree loads; and once (the quantizing prologue). Fitted per core by
 * bench/size/fit_inline_code.py on 16 forests and boosted models (scikit-learn, XGBoost,
 * LightGBM; 41 to 6,200 splits; leaf rows up to 12,000; categories): every total within 8%
 * (the earlier per-split-and-tree fit was 12-16% under on large boosted models).
 */
const INLINE_CODE: Record<InlineCore, Record<FeatureType, InlineCost>> = {
  fpu: {
    float32: {
      splits: 15.9,
      trees: 5.3,
      wideLeaves: 3.5,
      farSplits: 6.7,
      missingTests: 0,
      categorical: 43.4,
      literals: 8,
      base: 0
    },
    int16: {
      splits: 14,
      trees: 6.3,
      wideLeaves: 1.5,
      farSplits: 0.7,
      missingTests: 8,
      categorical: 28.2,
      literals: 2,
      base: 129
    },
    int8: {
      splits: 10.5,
      trees: 8.4,
      wideLeaves: 2.9,
      farSplits: 2.7,
      missingTests: 8,
      categorical: 20.8,
      literals: 1.1,
      base: 170
    }
  },
  thumb2Soft: {
    // refitted (splits x1.5, literals x2) when soft-float cores began comparing float bits as
    // integers (forest.h TML_FLOAT_COMPARE_BITS): a NaN test and a range compare per split
    // instead of a library call, and a second constant for negative thresholds
    float32: {
      splits: 22.2,
      trees: 13.4,
      wideLeaves: 4.2,
      farSplits: 8.5,
      missingTests: 0,
      categorical: 37.1,
      literals: 4.8,
      base: 0
    },
    int16: {
      splits: 14.1,
      trees: 6,
      wideLeaves: 1.4,
      farSplits: 0.6,
      missingTests: 8,
      categorical: 28.1,
      literals: 2,
      base: 114
    },
    int8: {
      splits: 10.5,
      trees: 8.1,
      wideLeaves: 2.9,
      farSplits: 2.6,
      missingTests: 8,
      categorical: 20.6,
      literals: 1.2,
      base: 160
    }
  },
  thumb1: {
    float32: {
      splits: 26.4, // x1.5 for the integer compares of float bits, as thumb2Soft's
      trees: 3.5,
      wideLeaves: 4,
      farSplits: 6,
      missingTests: 0,
      categorical: 29.6,
      literals: 2,
      base: 0
    },
    int16: {
      splits: 16,
      trees: 4,
      wideLeaves: 4.2,
      farSplits: 3.9,
      missingTests: 6.9,
      categorical: 15.6,
      literals: 2.1,
      base: 154
    },
    int8: {
      splits: 11.8,
      trees: 8.2,
      wideLeaves: 4.8,
      farSplits: 4.5,
      missingTests: 7,
      categorical: 15.5,
      literals: 0.4,
      base: 163
    }
  }
};

/**
 * A fused predict's leaves (emit.ts fusedPredict), bytes per core, float32 and quantized: each
 * leaf's vote or class and its jump past the tree (less than the `return row` of a tree
 * function that INLINE_CODE's splits include, hence negative), and each non-zero value a leaf
 * adds (a literal and an add: a soft-float call without an FPU). The generated predict around
 * them is smaller too (fusedPredictBytes). Fitted by least squares on the relative error of
 * the linked size of predict (tests/python/size_probe.py) for 9 forests, trees and regressors
 * (pure and impure leaves, 1 to 40 trees) x 3 feature types: every total within 14%.
 */
const FUSED_LEAF_CODE: Record<
  InlineCore,
  Record<'float32' | 'quantized', { fusedLeaves: number; leafAdds: number }>
> = {
  fpu: { float32: { fusedLeaves: -6.4, leafAdds: 9 }, quantized: { fusedLeaves: -3, leafAdds: 8.5 } },
  thumb2Soft: { float32: { fusedLeaves: -3, leafAdds: 9.4 }, quantized: { fusedLeaves: -3.4, leafAdds: 9 } },
  thumb1: { float32: { fusedLeaves: -3, leafAdds: 10.9 }, quantized: { fusedLeaves: -3.9, leafAdds: 9.8 } }
};
/** A fused predict's own code on Cortex-M4F, from the same fit (GENERATED_PREDICT_BYTES less 68 / 112). */
const FUSED_PREDICT_BYTES: Record<'float32' | 'quantized', number> = { float32: 36, quantized: 0 };

/** Bytes of inline tree code on `core`: the trees and their dispatch, plus the prologue when `withBase`. */
function inlineCodeBytes(tables: ForestTables, core: InlineCore = 'fpu', withBase = false): number {
  const shape = inlineShape(tables);
  const cost = {
    ...INLINE_CODE[core][tables.featureType],
    ...FUSED_LEAF_CODE[core][tables.featureType === 'float32' ? 'float32' : 'quantized']
  };
  let bytes = withBase ? cost.base : 0;
  // the parts this core prices (farFeatures and spilledAdds are AVR's: avrInlineCodeBytes)
  for (const part of Object.keys(cost).filter(p => p !== 'base') as (keyof typeof cost & keyof InlineShape)[]) {
    bytes += shape[part] * cost[part];
  }
  return Math.round(bytes);
}

/**
 * The packed table walk's code (a generated loop over split codes, thresholds and both
 * children) on Cortex-M4F, -Os, with the generated predict around it; measured on the
 * calibration forests of tests/python/test_estimates_calibration.py.
 */
const PACKED_WALK_BYTES: Record<FeatureType, number> = { float32: 138, int16: 278, int8: 278 };
/**
 * A generated predict that sums float32 leaf rows (impure forests, regressors: the loops, the
 * mean and the argmax) over inline trees, on Cortex-M4F; votes and a leaf's class cost less
 * and are counted the same. Measured on the 3-tree iris forest of the calibration tests.
 */
const GENERATED_PREDICT_BYTES = 104;

/** Bytes of the packed tables (lower.ts packedSplits), one item each. */
function packedTableItems(tables: ForestTables): SizeItem[] | null {
  const packed = packedSplits(tables);
  if (!packed) {
    return null;
  }
  const child = packed.child === 'uint16_t' ? 2 : 4;
  const threshold = tables.featureType === 'float32' ? 4 : tables.featureType === 'int16' ? 2 : 1;
  return [
    { name: 'tree roots', bytes: tables.nTrees * child },
    { name: 'split features', bytes: packed.nSplits * (packed.feature === 'uint8_t' ? 1 : 2) },
    { name: 'split children', bytes: 2 * packed.nSplits * child },
    { name: 'thresholds', bytes: packed.nSplits * threshold }
  ];
}

/** The quantization tables predict reads: compact ones for generated walks, else the float ones. */
function quantizationItems(tables: ForestTables, walk: ReturnType<typeof treeWalk>): SizeItem[] {
  const compact = compactQuantization(tables, walk);
  return [
    { name: 'feature scales', bytes: compact ? compact.exponent.length : (tables.featureScale?.byteLength ?? 0) },
    {
      name: 'feature offsets',
      bytes: compact?.zero
        ? compact.zero.length * (compact.zeroType === 'int16_t' ? 2 : 4)
        : (tables.featureOffset?.byteLength ?? 0)
    }
  ];
}

export function estimateForestSize(
  tables: ForestTables,
  classNames: string[],
  strategy: Strategy = 'tables'
): SizeEstimate {
  const packedItems = strategy === 'tables' ? packedTableItems(tables) : null;
  const general = strategy === 'tables' && !packedItems ? generalWalkCost(tables) : { code: 0, stack: 0 };
  // predict in generated code (a leaf's class, votes, or the mean of float32 rows) links no
  // model descriptor; votes and a single tree's class read a class per leaf row, not the rows
  const walkKind = treeWalk(tables, strategy);
  const classes = walkKind !== 'runtime' && tables.leafClass !== null && classNames.length > 0;
  const generated = classes || generatedMean(tables, walkKind);
  // a fused predict holds its leaves' classes or values in its code (inline tree code)
  const fused = fusedInline(tables, walkKind);
  const walk: SizeItem[] = packedItems
    ? packedItems
    : strategy === 'tables'
      ? [
          { name: 'tree roots', bytes: tables.treeRoot.byteLength },
          { name: 'node features', bytes: tables.nodeFeature.byteLength },
          { name: 'node children', bytes: tables.nodeNext.byteLength },
          {
            name: 'thresholds',
            bytes: (tables.thresholdF32 ?? tables.thresholdI16 ?? tables.thresholdI8 ?? new Uint8Array(0)).byteLength
          },
          { name: 'missing-value bits', bytes: tables.nodeMissingLeft?.byteLength ?? 0 }
        ]
      : [{ name: 'inline tree code', bytes: inlineCodeBytes(tables) }];
  const flash: SizeItem[] = [
    ...walk,
    ...quantizationItems(tables, walkKind),
    ...(fused
      ? []
      : [
          classes
            ? { name: 'leaf classes', bytes: tables.nLeafRows * (classNames.length <= 256 ? 1 : 2) }
            : { name: 'leaf values', bytes: (tables.leafU8 ?? tables.leafI16 ?? tables.leafValues).byteLength }
        ]),
    { name: 'baseline', bytes: tables.baseline?.byteLength ?? 0 },
    { name: 'tree outputs', bytes: tables.treeOutput?.byteLength ?? 0 },
    { name: 'category rows', bytes: tables.categoryBits?.byteLength ?? 0 },
    // 28 four-byte fields of tml_forest_t (sizeof on Cortex-M4F); class names as pointers plus their text.
    { name: 'model descriptor', bytes: generated ? 0 : 112 },
    { name: 'class names', bytes: classNamesBytes(classNames) },
    {
      name: 'evaluator code',
      bytes:
        (packedItems
          ? PACKED_WALK_BYTES[tables.featureType] + (generated ? GENERATED_PREDICT_BYTES : 0)
          : strategy === 'tables'
            ? CODE_BYTES[tables.featureType] + general.code
            : INLINE_CODE.fpu[tables.featureType].base +
              (fused
                ? FUSED_PREDICT_BYTES[tables.featureType === 'float32' ? 'float32' : 'quantized']
                : generated
                  ? GENERATED_PREDICT_BYTES
                  : 0)) + (tables.leafU8 ? U8_LEAF_CODE_BYTES : 0)
    }
  ];
  const ram: SizeItem[] = [
    { name: 'output scratch', bytes: 4 * valueCount(tables) },
    { name: 'quantized features (at most)', bytes: tables.featureType !== 'float32' ? 2 * tables.nFeatures : 0 },
    { name: 'call frames', bytes: STACK_FRAME_BYTES[tables.featureType] + general.stack }
  ].filter(item => item.bytes > 0);
  return m4fEstimate(flash, ram);
}

// ---- other cores and the C library ------------------------------------------------------

/**
 * Tree code on other cores relative to Cortex-M4F (see estimate/targets.ts for how these were
 * measured): inline code on Arm cores by INLINE_CODE's own constants for the core (a
 * soft-float call where the M4F loads a literal into a VFP register, Thumb-1's narrower
 * compares); RV32IMC by gcc's code (bench/rv32/fit_code_size.py), AVR by clang's ratios.
 */
const ISA_CODE_FACTORS: Record<string, { rv32imc: number; avr8?: number }> = {
  // rv32imc: riscv64-unknown-elf-gcc's code over the M4F estimate's on the calibration headers
  // (bench/rv32/fit_code_size.py): tables 0.9-1.4x (float) and 1.0-1.65x (quantized), inline
  // 1.29-1.73x (float32: generated predict holding every tree, votes of ten classes the most)
  // and 1.04-1.29x (int16, int8)
  // avr8: avr-gcc's code over the M4F estimate's (bench/avr/fit_code_size.py) for a generated
  // (packed) walk: 1.4-2.1x (votes and regressors least), 2.6-2.8x with uint8 leaves; the
  // runtime's walk has AVR_RUNTIME_WALK_FACTOR and inline code its own costs (AVR_INLINE_CODE)
  'tables-float32': { rv32imc: 1.15, avr8: 1.8 },
  'tables-quantized': { rv32imc: 1.35, avr8: 1.9 },
  'inline-float32': { rv32imc: 1.45 },
  'inline-int16': { rv32imc: 1.12 },
  'inline-int8': { rv32imc: 1.12 }
};

type AvrInlinePart =
  'splits' | 'farFeatures' | 'missingTests' | 'fusedLeaves' | 'leafAdds' | 'spilledAdds' | 'trees' | 'categorical'; /**
 * The C runtime's table walk (boosted sums, NaN and categorical splits, the isolation score) on
 * AVR over the M4F estimate's code: avr-gcc 2.5-3.3x (bench/avr/fit_code_size.py).
 */
const AVR_RUNTIME_WALK_FACTOR = 2.8;

/**
 * Inline tree code on AVR (avr-gcc 5.4 -Os, ATmega328P), bytes per: split (a 32-bit or 16-bit
 * compare of the feature with an immediate, a branch, and in a tree function its leaf's
 * `return row;`), split on a feature past AVR_LDD_REACH (its address computed), quantized NaN
 * test, leaf of a fused predict (less than the return its split carries, hence negative),
 * leaf add of a fused predict (a soft-float call with its literal) and, where the sums are
 * spilled, the sum's load and store, tree, categorical split; and once (predict, the argmax,
 * the quantizer). Fitted by least squares (relative error) in bench/avr/fit_inline_code.py on
 * 19 forests and boosted models x 3 feature types (scikit-learn, XGBoost, LightGBM; 41 to
 * 6,200 splits; predict linked alone): float32 within -14% to +8% (mean 3.4%), quantized -12%
 * to +11% (mean 4.2%). Quantized categorical splits fitted below zero on two models: priced at
 * none, and far features came out at none (int16 features reach 31 before the limit).
 */
const AVR_INLINE_CODE: Record<'float32' | 'quantized', Record<AvrInlinePart, number> & { base: number }> = {
  float32: {
    splits: 42.5,
    farFeatures: 11.5,
    missingTests: 0,
    fusedLeaves: -5.2,
    leafAdds: 5.4,
    spilledAdds: 43.1,
    trees: 52.7,
    categorical: 50.2,
    base: 410
  },
  quantized: {
    splits: 22.1,
    farFeatures: 0,
    missingTests: 9.3,
    fusedLeaves: -11,
    leafAdds: 1.4,
    spilledAdds: 50.6,
    trees: 17,
    categorical: 0,
    base: 756
  }
};

function avrInlineCodeBytes(tables: ForestTables): number {
  const shape = inlineShape(tables);
  const cost = AVR_INLINE_CODE[tables.featureType === 'float32' ? 'float32' : 'quantized'];
  const parts = Object.keys(cost).filter(part => part !== 'base') as AvrInlinePart[];
  return parts.reduce((bytes, part) => bytes + shape[part] * cost[part], cost.base);
}

export function forestCodeFactor(model: LoweredForest, strategy: Strategy, profile: TargetProfile): number {
  const inline = strategy === 'inline';
  const featureType = model.options.featureType;
  if (inline && (profile.isa === 'thumb1' || (profile.isa === 'thumb2' && !profile.fpu))) {
    const core: InlineCore = profile.isa === 'thumb1' ? 'thumb1' : 'thumb2Soft';
    return inlineCodeBytes(model.tables, core, true) / Math.max(inlineCodeBytes(model.tables, 'fpu', true), 1);
  }
  if (profile.isa === 'thumb2' || profile.isa === 'thumb1') {
    return armCodeFactor(profile);
  }
  if (inline && profile.isa === 'avr8') {
    // AVR's own inline code over all the M4F estimate's code (the trees, predict, the quantizer)
    const m4fCode = estimateForestSize(model.tables, model.ir.classes.map(String), strategy)
      .flash.filter(i => i.name === 'inline tree code' || i.name === 'evaluator code')
      .reduce((s, i) => s + i.bytes, 0);
    return avrInlineCodeBytes(model.tables) / Math.max(m4fCode, 1);
  }
  const key = inline ? `inline-${featureType}` : featureType === 'float32' ? 'tables-float32' : 'tables-quantized';
  if (profile.isa === 'avr8' && treeWalk(model.tables, strategy) === 'runtime') {
    return AVR_RUNTIME_WALK_FACTOR;
  }
  return ISA_CODE_FACTORS[key][profile.isa] ?? 1;
}

/**
 * What libgcc / newlib nano / libm add (bytes with an FPU, Thumb-2 and Thumb-1 soft float):
 * soft-float compares and adds, floorf and conversions for quantized features; the isolation
 * score's exp2 (boosting's predict compares raw sums: no expf). Sums (boosting) need no
 * division: a quantized one pulls in what int16 leaves do (measured on HistGradientBoosting
 * with NaN and categories, tables and inline, Cortex-M3 and M0+).
 */
const LIBRARIES: Record<string, LibraryBytes> = {
  'tree-f32': [0, 1372, 1980, 2440, 500],
  'tree-f32-u8': [0, 1372, 2748, 3508, 841],
  'tree-f32-sum': [0, 776, 832, 1468, 285], // M0+: no soft-float compares since the splits compare float bits
  'tree-f32-i16': [0, 1136, 1620, 2564, 638], // M0+: no soft-float compares since the splits compare float bits
  // RV32: picolibc's floorf and libgcc's float-to-int conversions are large (quantized features)
  'tree-q': [0, 1448, 3636, 4992, 948],
  'tree-q-u8': [0, 1448, 3768, 5224, 958],
  'tree-q-sum': [0, 1136, 2936, 4112, 750],
  'tree-q-i16': [0, 1136, 2936, 4112, 720],
  // a boosted classifier's predict compares its raw sums (sign, argmax): the compares the
  // splits no longer need on Thumb-1 (M0+ libraries of GradientBoostingClassifier less a regressor's)
  compare: [0, 0, 512, 108, 0],
  isolation: [2536, 2988, 4636, 6856, 1248], // over a mean forest's (measured with 10 trees on breast_cancer)
  // what expf adds to a float32 sum's routines (a LightGBM poisson regressor's libraries
  // less a GradientBoostingRegressor's; newlib nano, -Os)
  exp: [760, 1484, 3124, 4440, 949]
};

export function forestLibraries(model: LoweredForest, strategy: Strategy): LibraryBytes[] {
  const t = model.tables;
  // a generated predict that votes with each leaf's class over float32 splits, which compare
  // the float's bits on cores without an FPU, does no float arithmetic: it links no library
  // (the getting-started forest: arm-none-eabi-gcc, riscv64 and avr-gcc links add none). A
  // feature stage in front computes in float and brings the same helpers: they stay counted.
  const votes = model.ir.task === 'classification' && t.leafClass !== null && treeWalk(t, strategy) !== 'runtime';
  if (votes && t.featureType === 'float32' && t.link === 'identity' && !model.ir.featureStage) {
    return [];
  }
  const q = t.featureType === 'float32' ? 'tree-f32' : 'tree-q';
  // a mean divides by the tree count, a classifier's and a regressor's alike; a sum does not
  const leaves = t.leafU8 ? '-u8' : t.leafI16 ? '-i16' : t.combine === 'sum' ? '-sum' : '';
  const sumCompares = q === 'tree-f32' && t.combine === 'sum' && (t.link === 'logistic' || t.link === 'softmax');
  return [
    LIBRARIES[q + leaves],
    ...(sumCompares ? [LIBRARIES.compare] : []),
    ...(t.link === 'isolation' ? [LIBRARIES.isolation] : []),
    ...(t.link === 'exp' ? [LIBRARIES.exp] : [])
  ];
}

// ---- instructions ------------------------------------------------------------------------

/**
 * Tree costs in Cortex-M4F instructions, fitted (least squares on the relative error) on QEMU
 * counts of predict for 96 random forests (breast cancer, wine, digits, diabetes; 3 and 20
 * trees; depth 4 and unlimited; every feature type and strategy), each within 9% given the
 * splits the test rows really visit. A table-walk split loads feature, threshold and next
 * and branches (14); an inline split is a compare and a branch (5); a quantized table walk
 * compares int16s (13.5) or, when it quantizes on the fly, also quantizes the split's feature
 * (28.5); quantizing a feature up front (multiply, range checks, truncating floor) is 27.
 * Per tree: the walk's set-up; per leaf value: load and add; per output: the scratch,
 * mean and argmax.
 */
const TREE_INSTRUCTIONS = {
  float: {
    tables: { split: 14, tree: 6, output: 24 },
    inline: { split: 5, tree: 10, output: 24 }
  },
  quantized: {
    tables: { split: 13.5, tree: 0, output: 32 },
    inline: { split: 4.5, tree: 8, output: 25 }
  }
};
const LEAF_VALUE_INSTRUCTIONS = 7;
/**
 * The generated predict (emit.ts): a packed float32 table split (16: code, flag, feature,
 * threshold, compare and both children), and per tree a vote or a leaf's class (4) or the
 * generated sum (4, and 2 per leaf value), per output the zeroing, mean and argmax (10).
 * Fitted to QEMU on the calibration forests of tests/python/test_cycles_calibration.py.
 */
const GENERATED_INSTRUCTIONS = { packedFloatSplit: 16, tree: 4, leafValue: 2, output: 10 };
/**
 * A fused inline predict (emit.ts fusedPredict) on Cortex-M4F: a vote or a class costs about
 * nothing over the splits (the leaf's jump), a non-zero leaf value is a literal load and an add,
 * and per output the mean and the argmax's compare (bench/trees: 0-1 instruction per tree
 * over five per visited split).
 */
const FUSED_INSTRUCTIONS = { tree: 0.5, leafValue: 2, output: 5 };
const QUANTIZE_INSTRUCTIONS = { upFront: 27, onTheFly: 28.5 };
/**
 * The general table walk tests each split's kind and, for a value that goes right, whether it
 * is NaN: measured in QEMU as the difference with and without missing-value bits on four
 * calibration forests (1.6-2.4 per visited split float32, 3.7 quantized). A categorical split
 * adds range checks, the truncation, the row address and the bit test over a compare (10,
 * counted from the code). Inline code pays for categorical splits only (and quantized, 2 for a
 * left-missing split's NaN test).
 */
const GENERAL_SPLIT_INSTRUCTIONS = { float: { tables: 2, inline: 0 }, quantized: { tables: 4, inline: 0 } };
const CATEGORY_SPLIT_INSTRUCTIONS = 10;
const QUANTIZED_MISSING_LEFT_INSTRUCTIONS = 2;

/** Non-zero values in a leaf row, on average over the rows: what a fused predict adds per tree. */
function meanNonZeroLeafValues(t: ForestTables): number {
  let nonZero = 0;
  t.leafValues.forEach(v => (nonZero += v !== 0 ? 1 : 0));
  return nonZero / Math.max(t.nLeafRows, 1);
}

/**
 * Trees: the splits a row visits are taken as each tree's mean leaf depth (every leaf
 * equally likely), which is within about 15% of what test rows visit on the calibration
 * forests but overestimates shallow trees whose big classes split off near the root.
 * Quantized table walks quantize every feature up front when more splits than features are
 * expected (as the emitted predict does), else each split's feature on the way.
 */
export function forestOperations(model: LoweredForest, strategy: Strategy): OperationCount {
  const t: ForestTables = model.tables;
  const structure = describeForest(model.ir);
  const visited = expectedSplits(structure);
  const quantized = t.featureType !== 'float32';
  const cost = TREE_INSTRUCTIONS[quantized ? 'quantized' : 'float'][strategy];
  const perLeaf = leafWidth(t);
  const integerLeaves = Boolean(t.leafU8 ?? t.leafI16);
  const walk = treeWalk(t, strategy);
  const leafClasses = model.ir.task === 'classification' && walk !== 'runtime' && t.leafClass !== null;
  const generatedSum = !leafClasses && generatedMean(t, walk);
  const split = walk === 'packed' && !quantized ? GENERATED_INSTRUCTIONS.packedFloatSplit : cost.split;
  const G = GENERATED_INSTRUCTIONS;
  const fused = fusedInline(t, walk);
  const perTree = fused
    ? FUSED_INSTRUCTIONS.tree + (leafClasses ? 0 : FUSED_INSTRUCTIONS.leafValue * meanNonZeroLeafValues(t))
    : leafClasses
      ? G.tree
      : generatedSum
        ? G.tree + G.leafValue * perLeaf
        : cost.tree + LEAF_VALUE_INSTRUCTIONS * perLeaf;
  const perOutput = fused ? FUSED_INSTRUCTIONS.output : leafClasses || generatedSum ? G.output : cost.output;
  let instructions = visited * split + structure.nTrees * perTree + perOutput * t.nOutputs;
  // a fused predict adds only a leaf row's non-zero values (a pure leaf's one)
  const addsPerTree = fused ? meanNonZeroLeafValues(t) : perLeaf;
  const leafValueAdds = integerLeaves || leafClasses ? 0 : structure.nTrees * addsPerTree;
  let floatOps = leafValueAdds + (leafClasses ? 0 : 2 * t.nOutputs);
  const floatCompares = quantized ? 0 : visited;
  if (!quantized) {
    floatOps += visited;
  } else if (strategy === 'inline' || visited > t.nFeatures) {
    instructions += QUANTIZE_INSTRUCTIONS.upFront * t.nFeatures;
    floatOps += QUANTIZE_FLOAT_OPS * t.nFeatures;
  } else {
    instructions += (QUANTIZE_INSTRUCTIONS.onTheFly - cost.split) * visited;
    floatOps += QUANTIZE_FLOAT_OPS * visited;
  }
  // missing values and categories: their shares of the IR's splits, applied to the visited ones
  const allSplits = structure.splitsPerFeature.reduce((a, b) => a + b, 0);
  const categoricalShare = (structure.categoricalSplits ?? 0) / Math.max(allSplits, 1);
  const missingLeftShare = (structure.missingLeftSplits ?? 0) / Math.max(allSplits, 1);
  const general = t.nodeMissingLeft !== null || t.categoryBits !== null;
  instructions +=
    visited *
    ((general ? GENERAL_SPLIT_INSTRUCTIONS[quantized ? 'quantized' : 'float'][strategy] : 0) +
      categoricalShare * CATEGORY_SPLIT_INSTRUCTIONS +
      (quantized && strategy === 'inline' ? missingLeftShare * QUANTIZED_MISSING_LEFT_INSTRUCTIONS : 0));
  // predict compares raw sums; the isolation score needs exp2f, which newlib computes as powf
  // (about four expf), the exp link one expf
  const mathCalls = t.link === 'isolation' ? 4 : t.link === 'exp' ? 1 : 0;
  // leafAdds: only a fused predict's adds of constants are priced apart (the walks add rows)
  return { instructions, floatOps, floatCompares, leafAdds: fused ? leafValueAdds : 0, mathCalls };
}
