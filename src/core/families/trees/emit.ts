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
  tableRead,
  validateC
} from '../../emit/frame';
import type { Strategy } from '../../options';
import { runtimeMacro } from '../../runtime/codes';
import { TreeEnsembleIR } from './ir';
import {
  ForestStructure,
  ForestTables,
  LEAF,
  PackedSplits,
  expectedSplits,
  missingGoesLeft,
  packSplits,
  packedSplits,
  splitFeature,
  treeNodes,
  voteCounting
} from './lower';

/**
 * How a header walks its trees: generated inline code per tree, a generated loop over packed
 * node tables (a plain forest: no missing-value bits, no categorical split), or the runtime's
 * general walk over the full tables.
 */
export type TreeWalk = 'inline' | 'packed' | 'runtime';

export function treeWalk(tables: ForestTables, strategy: Strategy): TreeWalk {
  if (strategy === 'inline') {
    return 'inline';
  }
  return packedSplits(tables) ? 'packed' : 'runtime';
}

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
  walk: TreeWalk,
  name: string,
  upper: string
): string[] {
  const quantized = tables.featureType !== 'float32';
  const forest = `&${name}_forest`;
  const fns: string[] = [];
  // One function per input form: float32 features, and int16 ones for quantized models.
  // A quantized model's float entry points quantize all features once, on the stack, when a
  // prediction evaluates more splits than there are features; otherwise each split
  // quantizes the one feature it tests. Generated walks (inline code, packed tables) read
  // quantized features only, except the packed walk of a class predict (classPredict).
  const perSplit = quantized && expectedSplits(structure) <= tables.nFeatures;
  const quantizeOnce = quantized && (walk !== 'runtime' || !perSplit);
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
  // Inline code's predict holds every tree (fusedPredict); a packed walk's sums its leaf rows.
  const summed = (form: { suffix: string; prologue: string }, head: string, use: string): string =>
    fusedInline(tables, walk)
      ? `${head}\n${form.prologue}${fusedPredict(ir, tables, name, upper).join('\n')}\n}\n`
      : meanOfLeaves(tables, name, upper, form, head, use);
  for (const { suffix, param, args, prologue } of forms) {
    const from = suffix ? ` from features quantized with ${name}_quantize` : ` for x[${upper}_N_FEATURES]`;
    if (ir.task === 'classification') {
      // A single tree's leaf class, or pure leaves' votes: generated code, no float sums.
      const special = walk !== 'runtime' && tables.leafClass !== null;
      const classPrologue = classPrologueOf(walk, perSplit, prologue);
      const classHead = `/* Class index (see ${name}_class_names)${from}, or a negative TML_E_* code. */
static inline int32_t ${name}_predict${suffix}(${param})
{${nullCheck({ suffix })}`;
      fns.push(
        special && !fusedInline(tables, walk)
          ? classPredict(tables, name, upper, { suffix, param, from, prologue: suffix ? '' : classPrologue })
          : special || generatedMean(tables, walk)
            ? summed(
                { suffix, prologue: suffix ? '' : classPrologue },
                classHead,
                `    return tml_argmax(sum, ${upper}_N_OUTPUTS);`
              )
            : `/* Class index (see ${name}_class_names)${from}, or a negative TML_E_* code. */
static inline int32_t ${name}_predict${suffix}(${param})
{
    float raw[${upper}_N_OUTPUTS];
${prologue}    return tml_forest_predict_class(${forest}, ${args}, raw, ${upper}_N_OUTPUTS);
}
`
      );
      fns.push(`/* Class probabilities into proba[n] (n >= ${upper}_N_CLASSES)${from}; returns TML_OK or a TML_E_* code. */
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
      const regressionHead = `/* Writes the prediction${from} to *y; returns TML_OK or a TML_E_* code. */
static inline int ${name}_predict${suffix}(${param}, float *y)
{${nullCheck({ suffix })}
    if (y == NULL) {
        return TML_E_NULL;
    }`;
      fns.push(
        generatedMean(tables, walk)
          ? summed(
              { suffix, prologue: suffix ? '' : classPrologueOf(walk, perSplit, prologue) },
              regressionHead,
              '    *y = sum[0];\n    return TML_OK;'
            )
          : `/* Writes the prediction${from} to *y; returns TML_OK or a TML_E_* code. */
static inline int ${name}_predict${suffix}(${param}, float *y)
{
${prologue}    return tml_forest_predict_values(${forest}, ${args}, y, 1);
}
`
      );
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

/** The C type of the packed tables' children and roots, or the node tables' int32 roots. */
function rootRead(tables: ForestTables, name: string, tree: string): string {
  const packed = packedSplits(tables);
  return tableRead(packed ? packed.child : 'int32_t', `${name}_tree_root[${tree}]`);
}

/** The C type of leaf_class: a byte per leaf row while the classes fit one. */
function leafClassType(tables: ForestTables): 'uint8_t' | 'uint16_t' {
  return tables.nOutputs <= 256 ? 'uint8_t' : 'uint16_t';
}

/** C reading the class of leaf row `row` from leaf_class. */
function leafClassRead(tables: ForestTables, name: string, row: string): string {
  return tableRead(leafClassType(tables), `${name}_leaf_class[${row}]`);
}

/**
 * predict of a classifier whose leaves say the class (tables.leafClass): a single tree returns
 * its leaf's class; a forest of pure leaves counts one vote per tree in integers and returns
 * the first class with the most votes, which is scikit-learn's label (voteCounting). The trees
 * are walked by the packed walk, so nothing tests optional fields of the model at run time
 * (inline code has fusedPredict).
 */
function classPredict(
  tables: ForestTables,
  name: string,
  upper: string,
  form: { suffix: string; param: string; from: string; prologue: string }
): string {
  const quantized = tables.featureType !== 'float32';
  const args = quantized && (form.suffix || form.prologue) ? 'NULL, xq' : 'x, NULL';
  const leaf = (t: string): string => `${name}_walk(${rootRead(tables, name, t)}, ${args})`;
  const head = `/* Class index (see ${name}_class_names)${form.from}, or a negative TML_E_* code. */
static inline int32_t ${name}_predict${form.suffix}(${form.param})
{${nullCheck(form)}`;
  if (!voteCounting(tables)) {
    return `${head}
${form.prologue}    return ${leafClassRead(tables, name, leaf('0'))};
}
`;
  }
  return `${head}
    uint16_t votes[${upper}_N_CLASSES] = {0};
    int32_t t;
${form.prologue}    for (t = 0; t < ${tables.nTrees}; t++) {
        votes[${leafClassRead(tables, name, leaf('t'))}]++;
    }
    return tml_argmax_votes(votes, ${upper}_N_CLASSES);
}
`;
}

/** A generated entry point's check of its input pointer (the runtime's methods check theirs). */
function nullCheck(form: { suffix: string }): string {
  const input = form.suffix ? 'xq' : 'x';
  return `\n    if (${input} == NULL) {\n        return TML_E_NULL;\n    }`;
}

/** Whether generated code can compute the mean of the trees' float32 leaf rows (meanOfLeaves). */
export function generatedMean(tables: ForestTables, walk: TreeWalk): boolean {
  return (
    walk !== 'runtime' &&
    tables.combine === 'mean' &&
    tables.link === 'identity' &&
    tables.leafType === 'float32' &&
    !tables.treeOutput
  );
}

/**
 * The mean of the trees' float32 leaf rows, as tml_forest_raw computes it (zeros, each tree's
 * row added in tree order, divided by the tree count: the same float32 operations, so the same
 * values), into sum[], walking the trees with the packed walk. `use` finishes the function:
 * the argmax of a classifier, the value of a regressor.
 */
function meanOfLeaves(
  tables: ForestTables,
  name: string,
  upper: string,
  form: { suffix: string; prologue: string },
  head: string,
  use: string
): string {
  const quantized = tables.featureType !== 'float32';
  const args = quantized && (form.suffix || form.prologue) ? 'NULL, xq' : 'x, NULL';
  const leaf = (t: string): string => `${name}_walk(${rootRead(tables, name, t)}, ${args})`;
  const add = (t: string, indent: string): string =>
    `${indent}row = ${name}_leaf_values + (size_t)${leaf(t)} * ${upper}_N_OUTPUTS;\n` +
    `${indent}for (k = 0; k < ${upper}_N_OUTPUTS; k++) {\n${indent}    sum[k] += TML_READ_F32(&row[k]);\n${indent}}`;
  return `${head}
    float sum[${upper}_N_OUTPUTS];
    const float *row;
    int32_t k, t;
${form.prologue}    for (k = 0; k < ${upper}_N_OUTPUTS; k++) {
        sum[k] = 0.0f;
    }
    for (t = 0; t < ${tables.nTrees}; t++) {\n${add('t', '        ')}\n    }
    for (k = 0; k < ${upper}_N_OUTPUTS; k++) {
        sum[k] /= (float)${tables.nTrees};
    }
${use}
}
`;
}

/**
 * The table walk over this model's packed tables (packedSplits): from a tree's root, each split
 * sends x <= t to its left child, else to its right one (a flagged split also sends NaN left),
 * until the index passes the splits and names a leaf row. Quantized, it reads xq, or
 * quantizes the one feature a split tests from x when xq is NULL (NaN's code is
 * TML_QUANTIZED_NAN).
 */
function packedWalk(tables: ForestTables, name: string): string {
  const packed = packedSplits(tables) as PackedSplits;
  const float = tables.featureType === 'float32';
  const value = float ? 'x[f]' : `(xq != NULL ? xq[f] : ${quantizeC(tables, name, 'f')})`;
  const isNaN = float ? 'tml_is_nan_f32(v)' : `v == ${runtimeMacro('quantized', 'nan')}`;
  const feature = packed.missingLeft ? `code & ${packed.missingLeft - 1}` : 'code';
  const threshold = tableRead(
    float ? 'float' : tables.thresholdI16 ? 'int16_t' : 'int8_t',
    `${name}_split_threshold[i]`
  );
  const compare = float ? `tml_le_f32(v, ${threshold})` : `v <= ${threshold}`;
  const left = packed.missingLeft ? `${compare} || ((code & ${packed.missingLeft}) != 0 && ${isNaN})` : compare;
  return `/* Leaf row reached from split (or leaf reference) i: the walk over this model's packed tables. */
static inline int32_t ${name}_walk(int32_t i, const float *x, const int16_t *xq)
{
    ${float ? '(void)xq;\n    ' : ''}while (i < ${packed.nSplits}) {
        int32_t code = ${tableRead(packed.feature, `${name}_split_feature[i]`)};
        int32_t f = ${feature};
        ${float ? 'float' : 'int16_t'} v = ${value};
        i = ${left} ? (int32_t)${tableRead(packed.child, `${name}_split_left[i]`)} : (int32_t)${tableRead(packed.child, `${name}_split_right[i]`)};
    }
    return i - ${packed.nSplits};
}

/* Leaf row reached by tree \`tree\` (tml_tree_leaf_fn): what the runtime's methods walk. */
static inline int32_t ${name}_tree_leaf(int32_t tree, const float *x, const int16_t *xq)
{
    return ${name}_walk(${rootRead(tables, name, 'tree')}, x, xq);
}
`;
}

/**
 * A generated walk's quantization tables (packed tables, inline code): each feature's
 * power-of-two scale as its exponent (int8), its whole-number offset as int16 when every one
 * fits (else int32), or null when no offset is set. They stand in for the descriptor's float
 * tables in the header's own code (the runtime's methods still read those).
 */
export function compactQuantization(
  tables: ForestTables,
  walk: TreeWalk
): { exponent: Int32Array; zero: Int32Array | null; zeroType: 'int16_t' | 'int32_t' } | null {
  if (!tables.featureScale || walk === 'runtime') {
    return null;
  }
  const exponent = Int32Array.from(tables.featureScale, scale => Math.round(Math.log2(scale)));
  const zero = tables.featureOffset ? Int32Array.from(tables.featureOffset) : null;
  const zeroType = zero && zero.some(z => z < -32768 || z > 32767) ? 'int32_t' : 'int16_t';
  return { exponent, zero, zeroType };
}

/** C of feature k's quantized value from x, with the compact tables (compactQuantization). */
function quantizeC(tables: ForestTables, name: string, k: string): string {
  const zeroType = compactQuantization(tables, 'packed')?.zeroType ?? 'int16_t';
  const zero = tables.featureOffset ? `(float)${tableRead(zeroType, `${name}_feature_zero[${k}]`)}` : '0.0f';
  return `tml_quantize_i16(x[${k}], tml_pow2f(${tableRead('int8_t', `${name}_feature_exponent[${k}]`)}), ${zero})`;
}

/**
 * The quantizing prologue of a generated predict: none where the packed walk quantizes each
 * split's feature on the way (fewer expected splits than features), else the entry's own.
 */
function classPrologueOf(walk: TreeWalk, perSplit: boolean, prologue: string): string {
  return walk === 'packed' && perSplit ? '' : prologue;
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
 * The condition under which node i goes right, in inline code. `!(x <= t)` (float32:
 * `!tml_le_f32(x, t)`, an integer compare of the bits on cores without an FPU) sends NaN right,
 * as the tables do; a split that sends NaN left tests `x > t` (tml_gt_f32), false for NaN
 * (quantized: NaN's code is above every threshold, so it is excluded by name). A categorical
 * split calls the runtime's bit test on its row.
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
    return quantizedThresholds ? `!(${input} <= ${threshold})` : `!tml_le_f32(${input}, ${threshold})`;
  }
  return quantizedThresholds
    ? `${input} > ${threshold} && ${input} != ${runtimeMacro('quantized', 'nan')}`
    : `tml_gt_f32(${input}, ${threshold})`;
}

/**
 * The statements of tree t as straight-line C: nodes in ascending order, so a node's left child
 * is the next statement and only right children need a label (`<prefix>n<node>`); a subtree the
 * tree reaches twice is written once (goesRightC tells the test). Flat gotos keep any depth
 * within C's nesting limits. `leaf(row, last)` is what a leaf of that row does; `last` is true
 * for the tree's final statement, after which control falls through.
 */
function treeStatements(
  tables: ForestTables,
  name: string,
  t: number,
  prefix: string,
  leaf: (row: number, last: boolean) => string
): string[] {
  const nodes = treeNodes(tables, t);
  const targets = new Set<number>();
  for (const i of nodes) {
    if (tables.nodeFeature[i] !== LEAF) {
      targets.add(tables.nodeNext[i]);
    }
  }
  return Array.from(nodes, (i, position) => {
    const label = targets.has(i) ? `${prefix}n${i}: ` : '';
    const statement =
      tables.nodeFeature[i] === LEAF
        ? leaf(tables.nodeNext[i], position === nodes.length - 1)
        : `if (${goesRightC(tables, i, name)}) goto ${prefix}n${tables.nodeNext[i]};`;
    return `${label.padEnd(4)}${statement}`;
  });
}

/** Each tree as a function returning its leaf row (treeStatements), and the tml_tree_leaf_fn over them. */
function inlineTrees(tables: ForestTables, name: string): string {
  const quantizedThresholds = tables.thresholdI16 ?? tables.thresholdI8;
  const lines: string[] = [];
  for (let t = 0; t < tables.nTrees; t++) {
    lines.push(`static inline int32_t ${name}_tree_${t}(const float *x, const int16_t *xq)\n{`);
    lines.push(quantizedThresholds ? '    (void)x;' : '    (void)xq;');
    lines.push(...treeStatements(tables, name, t, '', row => `return ${row};`));
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

/**
 * Whether inline code writes predict as one function with every tree in it (fusedPredict): a
 * classifier whose leaves say the class (a single tree, or pure leaves' votes), or a mean of
 * float32 leaf rows (generatedMean).
 */
export function fusedInline(tables: ForestTables, walk: TreeWalk = 'inline'): boolean {
  // only classifiers have leaf classes
  return walk === 'inline' && (tables.leafClass !== null || generatedMean(tables, walk));
}

/**
 * predict's body for inline code, every tree's statements in one function, each leaf doing its
 * share where it is reached instead of returning a row to look up:
 *   - a single tree's leaf returns its class;
 *   - pure leaves vote: a binary forest counts class 1's votes (class 1 wins on more than half,
 *     a tie goes to class 0, the first of equal counts as tml_argmax_votes takes), more classes
 *     add one to their class's count;
 *   - a mean of float32 leaf rows adds the row's non-zero values to per-output sums held in
 *     locals, in tree order. Leaving out the zeros changes no sum: every sum starts at +0 and a
 *     float sum is -0 only when both terms are, so s + 0 is s at every step. Then the same
 *     division by the tree count and the same first-largest argmax as tml_forest_raw and
 *     tml_argmax: the same float32 operations on the same values, so the same results.
 */
function fusedPredict(ir: TreeEnsembleIR, tables: ForestTables, name: string, upper: string): string[] {
  const nTrees = tables.nTrees;
  const body: string[] = [];
  const trees = (leaf: (row: number) => string[]): void => {
    for (let t = 0; t < nTrees; t++) {
      const prefix = `t${t}_`;
      let jumps = false;
      const statements = treeStatements(tables, name, t, prefix, (row, last) => {
        const done = last ? [] : [`goto ${prefix}end;`];
        jumps = jumps || !last;
        return [...leaf(row), ...done].join(' ') || ';';
      });
      body.push(`    /* tree ${t} */`, ...statements);
      if (jumps) {
        body.push(`${prefix}end: ;`);
      }
    }
  };
  const leafClass = tables.leafClass;
  if (ir.task === 'classification' && leafClass !== null && nTrees === 1) {
    body.push(...treeStatements(tables, name, 0, 't0_', row => `return ${leafClass[row]};`));
    return body;
  }
  if (ir.task === 'classification' && leafClass !== null) {
    if (ir.classes.length === 2) {
      body.push('    int32_t votes_1 = 0;');
      trees(row => (leafClass[row] === 1 ? ['votes_1++;'] : []));
      body.push(`    return 2 * votes_1 > ${nTrees} ? 1 : 0;`);
    } else {
      body.push(`    uint16_t votes[${upper}_N_CLASSES] = {0};`);
      trees(row => [`votes[${leafClass[row]}]++;`]);
      body.push(`    return tml_argmax_votes(votes, ${upper}_N_CLASSES);`);
    }
    return body;
  }
  const width = tables.nOutputs;
  const sums = Array.from({ length: width }, (_, k) => `s${k}`);
  body.push(`    float ${sums.map(s => `${s} = 0.0f`).join(', ')};`);
  trees(row => {
    const adds: string[] = [];
    for (let k = 0; k < width; k++) {
      const value = tables.leafValues[row * width + k];
      if (value !== 0) {
        adds.push(`s${k} += ${formatFloat32(value)};`);
      }
    }
    return adds;
  });
  const mean = (k: number): string => `s${k} / (float)${nTrees}`;
  if (ir.task === 'regression') {
    body.push(`    *y = ${mean(0)};`, '    return TML_OK;');
    return body;
  }
  body.push(`    float top = ${mean(0)};`, '    int32_t best = 0;');
  for (let k = 1; k < width; k++) {
    body.push(`    if (${mean(k)} > top) {\n        top = ${mean(k)};\n        best = ${k};\n    }`);
  }
  body.push('    return best;');
  return body;
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
  const walk = treeWalk(tables, options.strategy);
  const packed = walk === 'packed' ? packedSplits(tables) : null;
  if (packed) {
    const split = packSplits(tables, packed);
    const thresholdType = tables.thresholdF32 ? 'float' : tables.thresholdI16 ? 'int16_t' : 'int8_t';
    out.push(cArray(packed.child, `${name}_tree_root`, split.root, formatInt));
    out.push(cArray(packed.feature, `${name}_split_feature`, split.feature, formatInt));
    out.push(
      cArray(thresholdType, `${name}_split_threshold`, split.threshold, tables.thresholdF32 ? formatFloat32 : formatInt)
    );
    out.push(cArray(packed.child, `${name}_split_left`, split.left, formatInt));
    out.push(cArray(packed.child, `${name}_split_right`, split.right, formatInt));
  } else if (!inline) {
    out.push(cArray('int32_t', `${name}_tree_root`, tables.treeRoot, formatInt));
    out.push(cArray('int16_t', `${name}_node_feature`, tables.nodeFeature, formatInt));
    out.push(cArray('int32_t', `${name}_node_next`, tables.nodeNext, formatInt));
  }
  if (!inline && !packed) {
    if (tables.thresholdF32) {
      out.push(cArray('float', `${name}_node_threshold`, tables.thresholdF32, formatFloat32));
    }
    if (tables.thresholdI16) {
      out.push(cArray('int16_t', `${name}_node_threshold`, tables.thresholdI16, formatInt));
    }
    if (tables.thresholdI8) {
      out.push(cArray('int8_t', `${name}_node_threshold`, tables.thresholdI8, formatInt));
    }
    if (tables.nodeMissingLeft && !packed) {
      out.push(cArray('uint8_t', `${name}_node_missing_left`, tables.nodeMissingLeft, formatInt));
    }
  }
  if (tables.categoryBits) {
    out.push(cArray('uint32_t', `${name}_category_bits`, tables.categoryBits, formatWord));
  }
  if (tables.featureScale) {
    out.push(cArray('float', `${name}_feature_scale`, tables.featureScale, formatFloat32));
  }
  const compactScales = compactQuantization(tables, walk);
  if (compactScales) {
    out.push(cArray('int8_t', `${name}_feature_exponent`, compactScales.exponent, formatInt));
    if (compactScales.zero) {
      out.push(cArray(compactScales.zeroType, `${name}_feature_zero`, compactScales.zero, formatInt));
    }
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
  } else if (walk === 'packed') {
    out.push(packedWalk(tables, name));
  }
  if (tables.leafClass && walk !== 'runtime' && isClassifier) {
    out.push(cArray(leafClassType(tables), `${name}_leaf_class`, tables.leafClass, formatInt));
  }
  // Generated walks (inline code, packed tables) stand in for the runtime's node tables.
  const generated = walk !== 'runtime';
  const field = (table: unknown, symbol: string): string => (table && !generated ? `${name}_${symbol}` : 'NULL');
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
    .tree_leaf = ${generated ? `${name}_tree_leaf` : 'NULL'},
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
      tables.nodeMissingLeft && !generated
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
  if (quantized && generated) {
    out.push(`/* Quantizes x[${upper}_N_FEATURES] into xq as the model expects (floor(x * scale) - offset, saturated). */
static inline int ${name}_quantize(const float *x, int16_t *xq)
{
    int32_t k;
    if (x == NULL || xq == NULL) {
        return TML_E_NULL;
    }
    for (k = 0; k < ${upper}_N_FEATURES; k++) {
        xq[k] = ${quantizeC(tables, name, 'k')};
    }
    return TML_OK;
}
`);
  } else if (quantized) {
    const offsets = tables.featureOffset ? `${name}_feature_offset` : 'NULL';
    out.push(`/* Quantizes x[${upper}_N_FEATURES] into xq as the model expects (floor(x * scale) - offset, saturated). */
static inline int ${name}_quantize(const float *x, int16_t *xq)
{
    return tml_quantize_features_i16(${name}_feature_scale, ${offsets}, x, xq, ${upper}_N_FEATURES);
}
`);
  }
  out.push(...predictFunctions(ir, tables, structure, walk, name, upper));
  out.push(headerEnd(name));
  return out.join('\n');
}
