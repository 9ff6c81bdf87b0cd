/**
 * Emits a C99 header for a lowered forest: const tables (they stay in flash), a
 * tml_forest_t that points at them, and small predict functions. With `standalone` the
 * runtime header is embedded, so the one file is all a firmware project needs.
 */
import {
  HeaderOptions,
  RUNTIME_HEADERS,
  cArray,
  checkModelName,
  classNamesC,
  commentSafe,
  formatFloat32,
  formatInt,
  headerBegin,
  headerEnd,
  runtimeC,
  validateC
} from '../../emit/frame';
import type { Strategy } from '../../options';
import { runtimeMacro } from '../../runtime/codes';
import { TreeEnsembleIR } from './ir';
import { ForestStructure, ForestTables, LEAF, expectedSplits, missingGoesLeft, splitFeature, treeNodes } from './lower';

/** What this family's device does with a NaN or infinite feature (every header says it). */
function nonFiniteInputs(tables: ForestTables): string {
  if (!tables.nodeMissingLeft && !tables.categoryBits) {
    return "NaN and +inf go right at every split (x <= t is false), -inf left; quantized, they saturate to the same sides. scikit-learn's trees send NaN the way each split learned instead, so answers on such rows can differ.";
  }
  return [
    tables.nodeMissingLeft
      ? 'NaN follows the direction each split learned for missing values (left where the model says so, else right);'
      : 'NaN goes right at every numeric split (x <= t is false);',
    '+inf goes right at numeric splits, -inf left; quantized, they saturate to the same sides.',
    ...(tables.categoryBits
      ? [
          'A categorical split sends NaN, negative values and values past its categories (infinities included) its missing-value direction, any other x by the bit of trunc(x).'
        ]
      : [])
  ].join(' ');
}

/** A uint32 table entry as a C literal. */
const formatWord = (v: number): string => `0x${v.toString(16).padStart(8, '0')}u`;

/**
 * The header's public functions, named after scikit-learn's methods: predict for every
 * task, predict_proba and decision_function where sklearn has them, score_samples for
 * anomaly detectors, and *_quantized variants that take int16 features. Each calls the
 * runtime's method of the same name (forest.h), which holds what they compute.
 */
function predictFunctions(
  ir: TreeEnsembleIR,
  tables: ForestTables,
  structure: ForestStructure,
  strategy: Strategy,
  name: string,
  upper: string
): string[] {
  const quantized = tables.featureType !== 'float32';
  const forest = `&${name}_forest`;
  const fns: string[] = [];
  // One function per input form: float32 features, and int16 ones for quantized models.
  // A quantized model's float entry points quantize all features once, on the stack, when a
  // prediction evaluates more splits than there are features; otherwise each split
  // quantizes the one feature it tests.
  const quantizeOnce = quantized && (strategy === 'inline' || expectedSplits(structure) > tables.nFeatures);
  const forms: Array<{ suffix: string; param: string; args: string; prologue: string }> = [
    {
      suffix: '',
      param: 'const float *x',
      args: quantizeOnce ? 'NULL, xq' : 'x, NULL',
      prologue: quantizeOnce
        ? `    int16_t xq[${upper}_N_FEATURES];\n    if (${name}_quantize(x, xq) != TML_OK) {\n        return TML_E_NULL;\n    }\n`
        : ''
    }
  ];
  if (quantized) {
    forms.push({ suffix: '_quantized', param: 'const int16_t *xq', args: 'NULL, xq', prologue: '' });
  }
  for (const { suffix, param, args, prologue } of forms) {
    const from = suffix ? ` from features quantized with ${name}_quantize` : ` for x[${upper}_N_FEATURES]`;
    if (ir.task === 'classification') {
      fns.push(`/* Class index (see ${name}_class_names)${from}, or a negative TML_E_* code. */
static inline int32_t ${name}_predict${suffix}(${param})
{
    float raw[${upper}_N_OUTPUTS];
${prologue}    return tml_forest_predict_class(${forest}, ${args}, raw, ${upper}_N_OUTPUTS);
}

/* Class probabilities into proba[n] (n >= ${upper}_N_CLASSES)${from}; returns TML_OK or a TML_E_* code. */
static inline int ${name}_predict_proba${suffix}(${param}, float *proba, int32_t n)
{
${prologue}    return tml_forest_predict_proba(${forest}, ${args}, proba, n);
}
`);
      if (ir.combine === 'sum') {
        fns.push(`/* Raw scores as sklearn's decision_function (${upper}_N_OUTPUTS of them)${from}. */
static inline int ${name}_decision_function${suffix}(${param}, float *scores, int32_t n)
{
${prologue}    return tml_forest_decision_function(${forest}, ${args}, scores, n);
}
`);
      }
    } else if (ir.task === 'regression') {
      fns.push(`/* Writes the prediction${from} to *y; returns TML_OK or a TML_E_* code. */
static inline int ${name}_predict${suffix}(${param}, float *y)
{
${prologue}    return tml_forest_predict_values(${forest}, ${args}, y, 1);
}
`);
      if (ir.link === 'exp') {
        fns.push(`/* The raw sum before exp (the prediction is exp of it)${from}, to *raw; TML_OK or TML_E_*. */
static inline int ${name}_decision_function${suffix}(${param}, float *raw)
{
${prologue}    return tml_forest_decision_function(${forest}, ${args}, raw, 1);
}
`);
      }
    } else {
      fns.push(`/* sklearn's score_samples${from}: lower is more abnormal. Returns TML_OK or TML_E_*. */
static inline int ${name}_score_samples${suffix}(${param}, float *score)
{
${prologue}    return tml_forest_score_samples(${forest}, ${args}, score);
}

/* sklearn's decision_function: score_samples - ${upper}_OFFSET; negative means outlier. */
static inline int ${name}_decision_function${suffix}(${param}, float *d)
{
${prologue}    return tml_forest_decision_function(${forest}, ${args}, d, 1);
}

/* *label = 1 for an inlier, -1 for an outlier (as sklearn's predict). Returns TML_OK or TML_E_*. */
static inline int ${name}_predict${suffix}(${param}, int32_t *label)
{
${prologue}    return tml_forest_predict_label(${forest}, ${args}, label);
}
`);
    }
  }
  return fns;
}

const LEAF_DESCRIPTIONS = {
  float32: () => 'float32',
  uint8: () => 'class probabilities as uint8 (k / 255)',
  int16: (scale: number) => `int16 fixed point (k * 2^${Math.log2(scale)}), added up in an int32`
};

export interface EmitOptions extends HeaderOptions {
  strategy: Strategy;
}

/**
 * The condition under which node i goes right, in inline code. `!(x <= t)` sends NaN right, as
 * the tables do; a split that sends NaN left tests `x > t`, false for NaN, at no cost (quantized:
 * NaN's code is above every threshold, so it is excluded by name). A categorical split calls
 * the runtime's bit test on its row.
 */
function goesRightC(tables: ForestTables, i: number, name: string): string {
  const quantizedThresholds = tables.thresholdI16 ?? tables.thresholdI8;
  const code = tables.nodeFeature[i];
  const f = splitFeature(code);
  const missingLeft = missingGoesLeft(tables, i);
  const input = quantizedThresholds ? `xq[${f}]` : `x[${f}]`;
  if (code !== f) {
    const words = tables.categoryWords;
    const row = (quantizedThresholds ?? (tables.thresholdF32 as Float32Array))[i] * words;
    const test = quantizedThresholds ? 'tml_category_left_q' : 'tml_category_left';
    return `!${test}(${name}_category_bits + ${row}, ${words}, ${input}, ${missingLeft ? 1 : 0})`;
  }
  const threshold = quantizedThresholds
    ? String(quantizedThresholds[i])
    : formatFloat32((tables.thresholdF32 as Float32Array)[i]);
  if (!missingLeft) {
    return `!(${input} <= ${threshold})`;
  }
  return quantizedThresholds
    ? `${input} > ${threshold} && ${input} != ${runtimeMacro('quantized', 'nan')}`
    : `${input} > ${threshold}`;
}

/**
 * Each tree as straight-line C: nodes in ascending order, so a node's left child is the next
 * statement and only right children need a label; a subtree the tree reaches twice is
 * written once (goesRightC tells the test). Flat gotos keep any depth within C's nesting limits.
 */
function inlineTrees(tables: ForestTables, name: string): string {
  const quantizedThresholds = tables.thresholdI16 ?? tables.thresholdI8;
  const lines: string[] = [];
  for (let t = 0; t < tables.nTrees; t++) {
    const nodes = treeNodes(tables, t);
    const targets = new Set<number>();
    for (const i of nodes) {
      if (tables.nodeFeature[i] !== LEAF) {
        targets.add(tables.nodeNext[i]);
      }
    }
    lines.push(`static inline int32_t ${name}_tree_${t}(const float *x, const int16_t *xq)\n{`);
    lines.push(quantizedThresholds ? '    (void)x;' : '    (void)xq;');
    for (const i of nodes) {
      const label = targets.has(i) ? `n${i}: ` : '';
      if (tables.nodeFeature[i] === LEAF) {
        lines.push(`${label.padEnd(4)}return ${tables.nodeNext[i]};`);
      } else {
        lines.push(`${label.padEnd(4)}if (${goesRightC(tables, i, name)}) goto n${tables.nodeNext[i]};`);
      }
    }
    lines.push('}\n');
  }
  lines.push(`/* Leaf row reached by tree \`tree\` (tml_tree_leaf_fn). */
static inline int32_t ${name}_tree_leaf(int32_t tree, const float *x, const int16_t *xq)
{
    switch (tree) {`);
  for (let t = 0; t < tables.nTrees; t++) {
    lines.push(`    case ${t}: return ${name}_tree_${t}(x, xq);`);
  }
  lines.push('    default: return 0;\n    }\n}\n');
  return lines.join('\n');
}

export function emitForestHeader(
  ir: TreeEnsembleIR,
  tables: ForestTables,
  structure: ForestStructure,
  options: EmitOptions
): string {
  const { name, standalone } = options;
  checkModelName(name);
  const upper = name.toUpperCase();
  const quantized = tables.featureType !== 'float32';
  const isClassifier = ir.task === 'classification';
  const out: string[] = [];

  out.push(
    headerBegin(
      name,
      ir.version,
      [
        `Model: ${commentSafe(ir.estimator)}, ${tables.nTrees} tree(s), ${tables.nNodes} stored nodes (scikit-learn has ${tables.sharing.sklearnNodes}), ${tables.nLeafRows} distinct leaf rows.`,
        `De-duplicated: ${tables.sharing.collapsedSplits} split(s) whose sides were equal, ${tables.sharing.sharedSubtrees} subtree(s) stored once for several places.`,
        `Features: ${tables.nFeatures} x float32${quantized ? `, quantized as floor(x * scale) - offset (power-of-two scales, ${tables.featureType} thresholds, int16 inputs)` : ''}.`,
        `Leaves: ${LEAF_DESCRIPTIONS[tables.leafType](tables.leafScale)}.`,
        ir.splitRule === 'lt'
          ? "Splits send x <= threshold left: the model's x < t as x <= the largest float32 below t, exact on float32 inputs."
          : 'Splits send x <= threshold left, exactly as scikit-learn does on float32 inputs.',
        ...(tables.categoryBits
          ? [
              `Categorical splits test bit trunc(x) of one of ${tables.nCategorySets} category row(s) of ${tables.categoryWords} word(s).`
            ]
          : []),
        'All tables are const and stay in flash; prediction uses only the stack.'
      ],
      nonFiniteInputs(tables)
    )
  );
  out.push(...runtimeC([RUNTIME_HEADERS.forest, ...(options.extraRuntime ?? [])], standalone));

  out.push(`#define ${upper}_N_FEATURES ${tables.nFeatures}`);
  out.push(`#define ${upper}_N_OUTPUTS ${tables.nOutputs}`);
  if (isClassifier) {
    out.push(`#define ${upper}_N_CLASSES ${ir.classes.length}`);
  }
  if (ir.task === 'anomaly') {
    out.push(`#define ${upper}_OFFSET ${formatFloat32(Math.fround(ir.offset))}`);
  }
  out.push('');
  if (ir.featureNames.length > 0) {
    out.push(`/* Feature order: ${ir.featureNames.map((f, i) => `${i}=${commentSafe(f)}`).join(', ')} */`);
  }
  if (isClassifier) {
    out.push(...classNamesC(name, ir.classes));
  }

  const inline = options.strategy === 'inline';
  if (!inline) {
    out.push(cArray('int32_t', `${name}_tree_root`, tables.treeRoot, formatInt));
    out.push(cArray('int16_t', `${name}_node_feature`, tables.nodeFeature, formatInt));
    out.push(cArray('int32_t', `${name}_node_next`, tables.nodeNext, formatInt));
    if (tables.thresholdF32) {
      out.push(cArray('float', `${name}_node_threshold`, tables.thresholdF32, formatFloat32));
    }
    if (tables.thresholdI16) {
      out.push(cArray('int16_t', `${name}_node_threshold`, tables.thresholdI16, formatInt));
    }
    if (tables.thresholdI8) {
      out.push(cArray('int8_t', `${name}_node_threshold`, tables.thresholdI8, formatInt));
    }
    if (tables.nodeMissingLeft) {
      out.push(cArray('uint8_t', `${name}_node_missing_left`, tables.nodeMissingLeft, formatInt));
    }
  }
  if (tables.categoryBits) {
    out.push(cArray('uint32_t', `${name}_category_bits`, tables.categoryBits, formatWord));
  }
  if (tables.featureScale) {
    out.push(cArray('float', `${name}_feature_scale`, tables.featureScale, formatFloat32));
  }
  if (tables.featureOffset) {
    out.push(cArray('float', `${name}_feature_offset`, tables.featureOffset, formatFloat32));
  }
  if (tables.leafU8) {
    out.push(cArray('uint8_t', `${name}_leaf_values`, tables.leafU8, formatInt));
  } else if (tables.leafI16) {
    out.push(cArray('int16_t', `${name}_leaf_values`, tables.leafI16, formatInt));
  } else {
    out.push(cArray('float', `${name}_leaf_values`, tables.leafValues, formatFloat32));
  }

  if (tables.baseline) {
    out.push(cArray('float', `${name}_baseline`, tables.baseline, formatFloat32));
  }
  if (tables.treeOutput) {
    out.push(cArray('int16_t', `${name}_tree_output`, tables.treeOutput, formatInt));
  }
  if (inline) {
    out.push(inlineTrees(tables, name));
  }
  const field = (table: unknown, symbol: string): string => (table && !inline ? `${name}_${symbol}` : 'NULL');
  out.push(`static const tml_forest_t ${name}_forest = {
    .n_features = ${tables.nFeatures},
    .n_outputs = ${tables.nOutputs},
    .n_trees = ${tables.nTrees},
    .n_nodes = ${tables.nNodes},
    .n_leaf_rows = ${tables.nLeafRows},
    .tree_root = ${field(tables.treeRoot, 'tree_root')},
    .node_feature = ${field(tables.nodeFeature, 'node_feature')},
    .node_next = ${field(tables.nodeNext, 'node_next')},
    .node_threshold_f32 = ${field(tables.thresholdF32, 'node_threshold')},
    .node_threshold_i16 = ${field(tables.thresholdI16, 'node_threshold')},
    .feature_scale = ${tables.featureScale ? `${name}_feature_scale` : 'NULL'},
    .leaf_values = ${tables.leafType === 'float32' ? `${name}_leaf_values` : 'NULL'},
    .combine = ${runtimeMacro('combine', tables.combine)},
    .link = ${runtimeMacro('link', tables.link)},
    .link_param = ${formatFloat32(Math.fround(tables.linkParam))},
    .baseline = ${tables.baseline ? `${name}_baseline` : 'NULL'},
    .tree_output = ${tables.treeOutput ? `${name}_tree_output` : 'NULL'},
    .tree_leaf = ${inline ? `${name}_tree_leaf` : 'NULL'},
    .leaf_u8 = ${tables.leafU8 ? `${name}_leaf_values` : 'NULL'},
    .leaf_scale = ${formatFloat32(Math.fround(tables.leafScale))},
    .node_threshold_i8 = ${field(tables.thresholdI8, 'node_threshold')},
    .leaf_i16 = ${tables.leafI16 ? `${name}_leaf_values` : 'NULL'},
    .feature_offset = ${tables.featureOffset ? `${name}_feature_offset` : 'NULL'}${
      ir.task === 'anomaly'
        ? `,
    .offset = ${upper}_OFFSET`
        : ''
    }${
      tables.nodeMissingLeft && !inline
        ? `,
    .node_missing_left = ${name}_node_missing_left`
        : ''
    }${
      tables.categoryBits && !inline
        ? `,
    .category_bits = ${name}_category_bits,
    .n_category_sets = ${tables.nCategorySets},
    .category_words = ${tables.categoryWords}`
        : ''
    }
};
`);

  out.push(validateC(name, 'tables', `return tml_forest_validate(&${name}_forest);`));
  if (quantized) {
    const offsets = tables.featureOffset ? `${name}_feature_offset` : 'NULL';
    out.push(`/* Quantizes x[${upper}_N_FEATURES] into xq as the model expects (floor(x * scale) - offset, saturated). */
static inline int ${name}_quantize(const float *x, int16_t *xq)
{
    return tml_quantize_features_i16(${name}_feature_scale, ${offsets}, x, xq, ${upper}_N_FEATURES);
}
`);
  }
  out.push(...predictFunctions(ir, tables, structure, options.strategy, name, upper));
  out.push(headerEnd(name));
  return out.join('\n');
}
