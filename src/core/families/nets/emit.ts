/**
 * Emits a C99 header for a lowered network: const weights (they stay in flash), one
 * const tml_layer_t per layer (in program memory on AVR, as the weights), a tml_net_t, and predict functions named after
 * scikit-learn's methods. With `standalone` the runtime is embedded.
 */
import {
  HeaderOptions,
  RUNTIME_HEADERS,
  RuntimeHeader,
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
import { runtimeMacro } from '../../runtime/codes';
import { describeNet } from './describe';
import { NeuralNetIR } from './ir';
import { BINARY_KINDS, NetLayer, NetTables, outputElementBytes } from './lower';

/** What this family's device does with a NaN or infinite feature (every header says it). */
const NON_FINITE_INPUTS =
  'not checked: a layer may pass a NaN on (NaN outputs) or absorb it (ReLU), int8 inputs saturate, so the class and probabilities are not meaningful. scikit-learn refuses such input.';

/** The const arrays of one layer, and the initializer fields that point at them. */
function layerTables(layer: NetLayer, prefix: string): { arrays: string[]; fields: Record<string, string> } {
  const arrays: string[] = [];
  const fields: Record<string, string> = {};
  const table = (
    field: string,
    type: string,
    values: ArrayLike<number> | null,
    format: (v: number) => string
  ): void => {
    if (values) {
      arrays.push(cArray(type, `${prefix}_${field}`, values, format));
      fields[field] = `${prefix}_${field}`;
    } else {
      fields[field] = 'NULL';
    }
  };
  table('weight_f32', 'float', layer.weightF32, formatFloat32);
  table('bias_f32', 'float', layer.biasF32, formatFloat32);
  table('weight_i8', 'int8_t', layer.weightI8, formatInt);
  table('bias_i32', 'int32_t', layer.biasI32, formatInt);
  table('multiplier', 'int32_t', layer.multiplier, formatInt);
  table('shift', 'int8_t', layer.shift, formatInt);
  table('channel_scale', 'float', layer.channelScale, formatFloat32);
  table('row_mask', 'uint8_t', layer.rowMask, formatInt);
  return { arrays, fields };
}

/** Where a layer of a graph reads from (a chain's layers read the one before: nothing to say). */
function graphFields(layer: NetLayer): string {
  const fields = [
    layer.inFrom !== 0 ? `.in_from = ${layer.inFrom}` : '',
    BINARY_KINDS.includes(layer.kind)
      ? `.in2_from = ${layer.in2From}, .in2_offset = ${layer.in2Offset}, ` +
        `.in2_scale = ${formatFloat32(layer.in2Scale)}, .in2_zero = ${layer.in2Zero}`
      : ''
  ].filter(f => f);
  return fields.length ? `\n        ${fields.join(', ')},` : '';
}

function layerInitializer(layer: NetLayer, fields: Record<string, string>): string {
  const [ih, iw, ic] = layer.inShape;
  const [oh, ow, oc] = layer.outShape;
  return `    { /* ${commentSafe(layer.name)} */
        .kind = ${runtimeMacro('layer', layer.kind)}, .activation = ${runtimeMacro('activation', layer.activation)},${
          layer.activationAlpha !== 0 ? ` .act_alpha = ${formatFloat32(layer.activationAlpha)},` : ''
        }
        .in_h = ${ih}, .in_w = ${iw}, .in_c = ${ic}, .out_h = ${oh}, .out_w = ${ow}, .out_c = ${oc},
        .kernel_h = ${layer.kernel[0]}, .kernel_w = ${layer.kernel[1]}, .stride_h = ${layer.stride[0]}, .stride_w = ${layer.stride[1]},
        .pad_top = ${layer.pad[0]}, .pad_left = ${layer.pad[1]}, .in_offset = ${layer.inOffset}, .out_offset = ${layer.outOffset},${graphFields(layer)}
        .weight_f32 = ${fields.weight_f32}, .bias_f32 = ${fields.bias_f32},
        .weight_i8 = ${fields.weight_i8}, .bias_i32 = ${fields.bias_i32}, .multiplier = ${fields.multiplier},
        .shift = ${fields.shift}, .channel_scale = ${fields.channel_scale},
        .in_scale = ${formatFloat32(layer.inScale)}, .in_zero = ${layer.inZero},
        .out_scale = ${formatFloat32(layer.outScale)}, .out_zero = ${layer.outZero}, .out_float = ${layer.outFloat ? 1 : 0}${
          layer.biasFolded ? ', .bias_folded = 1' : ''
        }${
          layer.rowMask
            ? `,
        .row_mask = ${fields.row_mask}`
            : ''
        } }`;
}

/**
 * The net runtime with only the kernels `tables` uses compiled in (TML_NET_LAYERS and
 * TML_NET_ACTIVATIONS, c-runtime/include/tinyml/net_types.h): a digits MLP carries no
 * depthwise, merge or padding code and links no tanhf. The first net header of a C file
 * configures the runtime; a later one whose net needs more stops the build with an #error
 * naming the fix.
 */
export function netRuntime(tables: NetTables, prefix: string): RuntimeHeader {
  const upper = prefix.toUpperCase();
  const bits = (macros: string[]): string =>
    [...new Set(macros)]
      .sort()
      .map(m => `(1L << ${m})`)
      .join(' | ');
  const layers = bits([
    ...tables.layers.map(l => runtimeMacro('layer', l.kind)),
    // not a layer kind: the row-mask path of the int8 convolution kernel (net_types.h)
    ...(tables.layers.some(l => l.rowMask) ? ['TML_NET_ROW_MASKS_BIT'] : [])
  ]);
  const activations = bits(
    ['identity', ...tables.layers.map(l => l.activation)].map(a => runtimeMacro('activation', a))
  );
  return {
    ...RUNTIME_HEADERS.net,
    before: [
      `/* The net runtime's kernels this model uses. The first net header of a C file chooses them;
 * define TML_NET_ALL_KERNELS before it to compile every kernel in. */
#define ${upper}_NET_LAYERS (${layers})
#define ${upper}_NET_ACTIVATIONS (${activations})
#if !defined(TML_NET_LAYERS) && !defined(TML_NET_ALL_KERNELS)
#define TML_NET_LAYERS ${upper}_NET_LAYERS
#endif
#if !defined(TML_NET_ACTIVATIONS) && !defined(TML_NET_ALL_KERNELS)
#define TML_NET_ACTIVATIONS ${upper}_NET_ACTIVATIONS
#endif
`
    ],
    after: [
      `#if (TML_NET_LAYERS & ${upper}_NET_LAYERS) != ${upper}_NET_LAYERS || \\
    (TML_NET_ACTIVATIONS & ${upper}_NET_ACTIVATIONS) != ${upper}_NET_ACTIVATIONS
#error "${prefix}: a net header included before this one left out kernels this model needs: include this header first, or #define TML_NET_ALL_KERNELS before the first net header"
#endif
`
    ]
  };
}

/** The const arrays, layers and tml_net_t `${prefix}_net` of a lowered net. */
export function netTablesC(tables: NetTables, prefix: string): string[] {
  const out: string[] = [];
  const initializers: string[] = [];
  tables.layers.forEach((layer, k) => {
    const { arrays, fields } = layerTables(layer, `${prefix}_l${k}`);
    out.push(...arrays);
    initializers.push(layerInitializer(layer, fields));
  });
  // Two or more layers go to program memory (saving AVR's RAM their size); a single layer's
  // descriptor stays ordinary const data, which compilers fold into the code (on AVR, the
  // copying reads kept it out: 2.2-3x the code).
  const inProgramMemory = tables.layers.length > 1;
  out.push(
    `static const tml_layer_t ${prefix}_layers[${tables.layers.length}]${inProgramMemory ? ' TML_CONST_TABLE' : ''} = {\n${initializers.join(',\n')}\n};\n`
  );
  out.push(`static const tml_net_t ${prefix}_net = {
    .n_layers = ${tables.layers.length},
    .layers = ${prefix}_layers,
    .quantized = ${tables.featureType === 'int8' ? 1 : 0},
    .arena_bytes = ${tables.arenaBytes},
    .layers_in_program_memory = ${inProgramMemory ? 1 : 0}
};
`);
  return out;
}

/**
 * ${name}_run_int8 for a net whose input and last output are int8 tensors (a full-integer
 * model file's): the quantized values in and out, as TensorFlow Lite Micro's interpreter takes
 * and gives them (an int8 camera frame needs no float conversion); '' for other nets.
 */
function int8TensorsC(tables: NetTables, name: string, upper: string): string {
  const first = tables.layers[0];
  const last = tables.layers[tables.layers.length - 1];
  if (tables.featureType !== 'int8' || outputElementBytes(tables, last) !== 1) {
    return '';
  }
  const plus = (zero: number): string => (zero < 0 ? `- ${-zero}` : `+ ${zero}`);
  return `
/* The same with x[${upper}_N_FEATURES] quantized as the input tensor is (q = x / ${formatFloat32(first.inScale)} ${plus(first.inZero)},
 * rounded, clamped to int8) and the last layer's int8 values into out[n] (n >= ${upper}_N_OUTPUTS,
 * value = ${formatFloat32(last.outScale)} * (q ${plus(-last.outZero)})), as TensorFlow Lite Micro's int8 tensors. */
static inline int ${name}_run_int8(const int8_t *x, void *arena, int8_t *out, int32_t n)
{
    return tml_net_predict_i8(&${name}_net, x, arena, ${upper}_ARENA_BYTES, out, n);
}
`;
}

export function emitNetHeader(ir: NeuralNetIR, tables: NetTables, options: HeaderOptions): string {
  const { name, standalone } = options;
  checkModelName(name);
  const upper = name.toUpperCase();
  const structure = describeNet(tables);
  const isClassifier = ir.task === 'classification';
  const scores = ir.output === 'decision';
  // a quantized source (quantizeNet without calibration) keeps its own numbers and an int8 last layer
  const numbers =
    tables.featureType !== 'int8'
      ? 'float32'
      : tables.calibration
        ? `int8 (weights symmetric per output channel, activations per tensor, ranges measured on ${tables.calibration.rows} rows; the last layer's output is float32)`
        : "int8, the model file's own quantization (its weight scales, int32 biases and every tensor's scale and zero point; the outputs dequantized to float32)";
  const out: string[] = [];
  out.push(
    headerBegin(
      name,
      ir.version,
      [
        `Model: ${commentSafe(ir.estimator)}, ${tables.layers.length} layer(s), ${structure.totalParams} parameters, ${structure.totalMacs} multiply-adds per prediction.`,
        `Input: ${ir.nFeatures} float32 values, shape [${ir.inputShape.join(', ')}] (channels last, row-major).`,
        `Numbers: ${numbers}.`,
        `Scratch: ${tables.arenaBytes} bytes of arena per prediction (${upper}_ARENA_BYTES); the predict functions`,
        `put it on the stack, ${name}_run takes yours. All weights are const and stay in flash.`
      ],
      NON_FINITE_INPUTS
    )
  );
  out.push(...runtimeC([netRuntime(tables, name), ...(options.extraRuntime ?? [])], standalone));
  out.push(`#define ${upper}_N_FEATURES ${ir.nFeatures}`);
  out.push(`#define ${upper}_N_OUTPUTS ${ir.nOutputs}`);
  if (isClassifier) {
    out.push(`#define ${upper}_N_CLASSES ${ir.classes.length}`);
  }
  if (scores) {
    out.push(`#define ${upper}_N_SCORES ${ir.nOutputs} /* decision_function values */`);
  }
  out.push(`#define ${upper}_ARENA_BYTES ${tables.arenaBytes}\n`);
  if (isClassifier) {
    out.push(...classNamesC(name, ir.classes));
  }
  out.push(...netTablesC(tables, name));
  out.push(`${validateC(name, 'layers', `return tml_net_validate(&${name}_net);`)}
/* The last layer's outputs for x[${upper}_N_FEATURES] into out[n] (n >= ${upper}_N_OUTPUTS), using your
 * arena of ${upper}_ARENA_BYTES bytes, 4-byte aligned. Returns TML_OK or a TML_E_* code. */
static inline int ${name}_run(const float *x, void *arena, float *out, int32_t n)
{
    return tml_net_predict(&${name}_net, x, arena, ${upper}_ARENA_BYTES, out, n);
}
${int8TensorsC(tables, name, upper)}`);
  // float words: the arena must be 4-byte aligned
  const stackArena = `    float arena[(${upper}_ARENA_BYTES + 3) / 4];\n`;
  if (isClassifier) {
    out.push(`/* Class index (see ${name}_class_names) for x[${upper}_N_FEATURES], or a negative TML_E_* code. */
static inline int32_t ${name}_predict(const float *x)
{
${stackArena}    float out[${upper}_N_OUTPUTS];
    return tml_net_predict_class(&${name}_net, x, arena, ${upper}_ARENA_BYTES, out, ${upper}_N_OUTPUTS);
}

${
  scores
    ? `/* Decision scores, as scikit-learn's decision_function, into scores[n] (n >= ${upper}_N_OUTPUTS). */
static inline int ${name}_decision_function(const float *x, float *scores, int32_t n)
{
${stackArena}    return tml_net_decision_function(&${name}_net, x, arena, ${upper}_ARENA_BYTES, scores, n);
}
`
    : `/* Class probabilities into proba[n] (n >= ${upper}_N_CLASSES); returns TML_OK or a TML_E_* code. */
static inline int ${name}_predict_proba(const float *x, float *proba, int32_t n)
{
${stackArena}    return tml_net_predict_proba(&${name}_net, x, arena, ${upper}_ARENA_BYTES, proba, n);
}
`
}`);
  } else {
    out.push(`/* Writes the ${upper}_N_OUTPUTS predicted values for x[${upper}_N_FEATURES] to y; returns TML_OK or a TML_E_* code. */
static inline int ${name}_predict(const float *x, float *y)
{
${stackArena}    return tml_net_predict_values(&${name}_net, x, arena, ${upper}_ARENA_BYTES, y, ${upper}_N_OUTPUTS);
}
`);
  }
  out.push(headerEnd(name));
  return out.join('\n');
}
