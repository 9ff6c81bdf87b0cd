/**
 * The export bundle: a compiled model's header plus test vectors and a small C harness that
 * runs every vector on the device and prints whether it agrees with the reference
 * (scikit-learn) and with the WebAssembly build of the same C runtime. The target glue
 * (start-up, linker script, semihosting output) is kept apart from the portable harness, so
 * porting to a board means replacing two functions (c-runtime/bundle/, templates.ts).
 */
import {
  CompiledModel,
  DeviceRun,
  InputError,
  acceptsNaN,
  checkFeatureMatrix,
  deviceValueCount,
  runOnDevice
} from '../compile';
import { COMPILER_VERSION, cArray, commentSafe, formatFloat32, formatInt } from '../emit/frame';
import { familyOf } from '../families/registry';
import { inputCount } from '../features/stage';
import { BUNDLE_TARGETS } from './targets';
import { bundleFile, bundleMakefile, bundleReadme, modelGlueH } from './templates';

export { BUNDLE_TARGETS } from './targets';

/** What the model itself answers on the bundle's rows (as compareWithReference takes it). */
export interface BundleReference {
  /** Class indices (into classes; anomaly: 0 = outlier, 1 = inlier) per row. */
  classes?: ArrayLike<number> | null;
  /** Reference values per row: probabilities, decision scores, predictions or anomaly scores. */
  values?: ArrayLike<number> | null;
  /** True labels as class indices (-1 = unknown), for the accuracy line. */
  truth?: ArrayLike<number> | null;
}

export interface BundleOptions {
  /** Target name (see BUNDLE_TARGETS); default "cortex-m4f". */
  target?: string;
}

/** How the device's outputs are compared with one set of expected outputs. */
export interface ExpectedSet {
  /** Printed by the harness, e.g. "scikit-learn". */
  name: string;
  /** C identifier part of the set's arrays. */
  symbol: string;
  /** Whether PASS needs every vector within tolerance (else the line is reported only). */
  checked: boolean;
  /** Why the tolerances are what they are (and why unchecked, if so): a C comment. */
  why: string;
  labels: Int32Array | null;
  values: Float32Array;
  /** Per output: |device - expected| <= absTol + relTol * |expected|. */
  absTol: Float32Array;
  relTol: Float32Array;
}

export interface Bundle {
  /** Relative path -> file text. */
  files: Record<string, string>;
  target: string;
  nVectors: number;
  nValues: number;
  sets: ExpectedSet[];
  /** The WebAssembly runtime's outputs on the vectors (the "wasm runtime" set). */
  device: DeviceRun;
}

/** Relative float32 error the WebAssembly and device builds may differ by: libm's expf,
 * logf, sqrtf and powf differ in the last bits between wasi-libc, newlib and glibc. */
const CROSS_LIBM_REL = 1e-5;

/**
 * The bundle's files for a compiled model and nRows input rows x (row-major float32, the
 * values the device takes: raw windows when the model has a feature stage).
 */
export function makeBundle(
  model: CompiledModel,
  x: Float32Array,
  nRows: number,
  reference: BundleReference,
  options: BundleOptions = {}
): Bundle {
  const target = options.target ?? 'cortex-m4f';
  const glue = BUNDLE_TARGETS[target];
  if (!glue) {
    throw new InputError(
      `no bundle target ${JSON.stringify(target)}; bundles are made for ${Object.keys(BUNDLE_TARGETS).join(', ')}`
    );
  }
  if (!model.options.standalone) {
    throw new InputError('a bundle needs the standalone header (the runtime embedded): convert with standalone=True');
  }
  if (!Number.isInteger(nRows) || nRows < 1) {
    throw new InputError(`a bundle needs at least one test vector, got ${nRows} rows`);
  }
  const nInputs = inputCount(model.ir);
  checkFeatureMatrix(x, nRows, nInputs, 'X', acceptsNaN(model.ir));
  const nValues = deviceValueCount(model);
  const hasLabels = model.ir.task !== 'regression';
  const device = runOnDevice(model, x, nRows);
  // test vectors are float literals: a model that overflows on a row has no expected value for it
  const bad = device.values.findIndex(v => !Number.isFinite(v));
  if (bad >= 0) {
    throw new InputError(
      `row ${Math.floor(bad / nValues)} of X gives a non-finite output on the device (value ${bad % nValues} is ` +
        `${device.values[bad]}), which a test vector cannot hold: leave that row out`
    );
  }

  const sets: ExpectedSet[] = [];
  if (reference.values) {
    sets.push(referenceSet(model, reference, nRows, nValues, hasLabels));
  }
  sets.push(deviceSet(device, nValues, hasLabels));
  const truth =
    hasLabels && reference.truth ? checkedLabels(reference.truth, nRows, model.ir.classes.length, 'truth') : null;

  const name = model.options.name;
  const files: Record<string, string> = {
    [`${name}.h`]: model.header,
    'test_vectors.h': testVectorsH(model, x, nRows, nInputs, nValues, hasLabels, sets, truth),
    'main.c': bundleFile('main.c'),
    'model_glue.h': modelGlueH(model, name),
    'target.h': bundleFile('target.h'),
    ...Object.fromEntries(
      glue.glue.map(file => [`target/${glue.dir}/${file}`, bundleFile(`target/${glue.dir}/${file}`)])
    ),
    'target/host/target.c': bundleFile('target/host/target.c'),
    Makefile: bundleMakefile(name, glue),
    'README.md': bundleReadme(model, name, target, glue, nRows, sets)
  };
  return { files, target, nVectors: nRows, nValues, sets, device };
}

/** Labels as int32 class indices, checked against the class count (anomaly: 2). */
function checkedLabels(labels: ArrayLike<number>, nRows: number, nClasses: number, what: string): Int32Array {
  if (labels.length !== nRows) {
    throw new InputError(`${what} has ${labels.length} labels for ${nRows} rows of X`);
  }
  const out = Int32Array.from(labels);
  out.forEach((k, i) => {
    if (k < -1 || k >= Math.max(nClasses, 2)) {
      throw new InputError(`${what}[${i}] is class index ${k}, the model has ${nClasses} classes`);
    }
  });
  return out;
}

/** Largest |value| per output over the vectors: the scale relative tolerances refer to. */
function columnScale(values: ArrayLike<number>, nValues: number): Float64Array {
  const scale = new Float64Array(nValues);
  for (let i = 0; i < values.length; i++) {
    scale[i % nValues] = Math.max(scale[i % nValues], Math.abs(values[i]));
  }
  return scale;
}

/**
 * Tolerances per output: `rel` of the output's largest |value| on these vectors (a sum that
 * cancels to near zero keeps the rounding of its large terms), plus `abs`.
 */
function tolerances(
  values: ArrayLike<number>,
  nValues: number,
  rel: number,
  abs: number
): [Float32Array, Float32Array] {
  const scale = columnScale(values, nValues);
  return [Float32Array.from(scale, s => rel * s + abs), new Float32Array(nValues).fill(rel)];
}

function referenceSet(
  model: CompiledModel,
  reference: BundleReference,
  nRows: number,
  nValues: number,
  hasLabels: boolean
): ExpectedSet {
  const values = reference.values as ArrayLike<number>;
  if (values.length !== nRows * nValues) {
    throw new InputError(
      `reference values: expected ${nValues} per row for ${nRows} rows (${nRows * nValues}), got ${values.length}`
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(Math.fround(values[i]))) {
      throw new InputError(`reference value ${i} (${values[i]}) is not a finite float32`);
    }
  }
  let labels: Int32Array | null = null;
  if (hasLabels) {
    if (!reference.classes) {
      throw new InputError("reference: a classifier's bundle needs the reference class indices");
    }
    labels = checkedLabels(reference.classes, nRows, model.ir.classes.length, 'reference classes');
  }
  const policy = familyOf(model).referencePolicy(model);
  const [absTol, relTol] = tolerances(values, nValues, policy.rel, policy.abs);
  return {
    name: 'scikit-learn',
    symbol: 'sklearn',
    checked: policy.checked,
    why: policy.why,
    labels,
    values: Float32Array.from(values),
    absTol,
    relTol
  };
}

function deviceSet(device: DeviceRun, nValues: number, hasLabels: boolean): ExpectedSet {
  const [absTol, relTol] = tolerances(device.values, nValues, CROSS_LIBM_REL, 1e-6);
  return {
    name: 'wasm runtime',
    symbol: 'wasm',
    checked: true,
    why:
      'the same C runtime built to WebAssembly (what tinyml_lab.evaluate and the widget run): labels exact; ' +
      'values within 1e-5 of the largest, as expf/logf/sqrtf of wasi-libc, newlib and glibc differ in the last bits',
    labels: hasLabels ? Int32Array.from(device.classes) : null,
    values: Float32Array.from(device.values),
    absTol,
    relTol
  };
}

function describeModel(model: CompiledModel): string {
  const estimator = model.ir.estimator.split('.').pop();
  // only families that offer other leaf types have them
  const numbers =
    model.options.featureType + (model.options.leafType !== 'float32' ? `, ${model.options.leafType} leaves` : '');
  return `${estimator}, ${numbers}`;
}

function testVectorsH(
  model: CompiledModel,
  x: Float32Array,
  nRows: number,
  nInputs: number,
  nValues: number,
  hasLabels: boolean,
  sets: ExpectedSet[],
  truth: Int32Array | null
): string {
  const name = model.options.name;
  const hasNaN = x.some(v => Number.isNaN(v));
  const labelMeaning =
    model.ir.task === 'anomaly' ? 'class index: 0 = outlier (-1), 1 = inlier (1)' : `index into ${name}_class_names`;
  const out: string[] = [];
  out.push(`/*
 * test_vectors.h: generated by TinyML Lab ${COMPILER_VERSION} for ${commentSafe(name)}.h (${commentSafe(describeModel(model))}). Do not edit.
 * ${nRows} input rows and what the device should answer for each: labels (${hasLabels ? commentSafe(labelMeaning) : 'none: a regressor'})
 * and ${nValues} value(s) per row, compared as |device - expected| <= abs_tol + rel_tol * |expected|.
 * Inputs are float32 written so they read back bit for bit${hasNaN ? '; NAN marks a missing value' : ''}.
 */
#ifndef TINYML_TEST_VECTORS_H
#define TINYML_TEST_VECTORS_H
${hasNaN ? '\n#include <math.h> /* NAN */' : ''}
#include <stddef.h>
#include <stdint.h>

#include "${name}.h" /* TML_CONST_TABLE and TML_READ_*: the tables below are read as the model's are */

#define TV_N_VECTORS ${nRows}
#define TV_N_INPUTS ${nInputs}
#define TV_N_VALUES ${nValues}
#define TV_HAS_LABELS ${hasLabels ? 1 : 0}
#define TV_N_SETS ${sets.length}
#define TV_HAS_TRUTH ${truth ? 1 : 0}

/* One set of expected outputs and how closely the device must match it. */
typedef struct {
    const char *name;       /* printed by the harness */
    int checked;            /* 1: PASS needs every vector within tolerance; 0: reported only */
    const char *note;       /* printed after REPORTED when not checked */
    const int32_t *labels;  /* [TV_N_VECTORS], or NULL */
    const float *values;    /* [TV_N_VECTORS * TV_N_VALUES] */
    const float *abs_tol;   /* [TV_N_VALUES] */
    const float *rel_tol;   /* [TV_N_VALUES] */
} tv_expected_t;
`);
  out.push(cArray('float', 'tv_inputs', x, v => (Number.isNaN(v) ? 'NAN' : formatFloat32(v))));
  for (const set of sets) {
    out.push(`/* Expected: ${commentSafe(set.name)}${set.checked ? '' : ' (reported, not checked)'}.
 * Tolerance: ${commentSafe(set.why)}. */`);
    if (set.labels) {
      out.push(cArray('int32_t', `tv_${set.symbol}_labels`, set.labels, formatInt));
    }
    out.push(cArray('float', `tv_${set.symbol}_values`, set.values, formatFloat32));
    out.push(cArray('float', `tv_${set.symbol}_abs_tol`, set.absTol, formatFloat32));
    out.push(cArray('float', `tv_${set.symbol}_rel_tol`, set.relTol, formatFloat32));
  }
  if (truth) {
    out.push('/* The true labels (y) as class indices, -1 where the model does not know the label. */');
    out.push(cArray('int32_t', 'tv_truth', truth, formatInt));
  }
  const note = (set: ExpectedSet) => (set.checked ? '""' : `"${shortNote(set.why)}"`);
  out.push(`static const tv_expected_t tv_expected[TV_N_SETS] = {
${sets
  .map(
    s =>
      `    {"${s.name}", ${s.checked ? 1 : 0}, ${note(s)}, ${s.labels ? `tv_${s.symbol}_labels` : 'NULL'}, tv_${s.symbol}_values, tv_${s.symbol}_abs_tol, tv_${s.symbol}_rel_tol}`
  )
  .join(',\n')}
};

#endif /* TINYML_TEST_VECTORS_H */
`);
  return out.join('\n');
}

/** The first clause of a reason, as a C string's contents (no quotes or backslashes in it). */
function shortNote(why: string): string {
  return why.split(':')[0].replace(/["\\]/g, '');
}
