/**
 * The headless API: plain-JSON functions that the Python package calls inside an
 * embedded V8 (py_mini_racer), so convert/export/evaluate need neither a browser nor Node.
 * Every function takes and returns JSON strings; errors come back as {error, kind}
 * instead of exceptions, so Python can raise a clear exception of its own.
 *
 * Arrays may travel as bytes beside the JSON (a binary call, tinyml_lab/_engine.py): the
 * caller opens the call with beginBinaryCall(n), writes the arrays into the ArrayBuffer it
 * gets and names them in the JSON as {dtype, shape, blob: [offset, bytes]}; the arrays a
 * function gives back (run's classes and values, the feature extractors' outputs) are written
 * the same way to the buffer endBinaryCall() returns. Without a binary call, arrays are the
 * IR's base64 form both ways.
 */
import { makeBundle } from './bundle/bundle';
import { checkModelName as checkName } from './emit/frame';
import {
  CompiledModel,
  acceptsNaN,
  InputError,
  LoweredModel,
  compareWithReference,
  compileLowered,
  compileModel,
  deviceValueCount,
  exportOptions as modelExportOptions,
  lowerModel,
  runOnDevice
} from './compile';
import { TARGETS, estimateForTarget } from './estimate/targets';
import { familyOf } from './families/registry';
import { inputCount, parseFeatureStage, runFeatureStage, stageWidth } from './features/stage';
import { FeatureViewState, deviceTrait, runFeatureView } from './features/view';
import { DType, TypedArrayOf, decodeArray, dtypeOf, encodeArray } from './ir/encoding';
import { parseModelIR } from './ir/envelope';
import { IRError } from './ir/read';
import type { CompileOptions } from './options';
import { WINDOW_CODES, WindowKind, featureRuntime } from './features/runtime';
import { shown } from './ir/show';

type Json = Record<string, unknown>;

/** The binary call in progress: the caller's input bytes and the arrays given back so far. */
let exchange: { input: ArrayBuffer; outputs: { at: number; bytes: Uint8Array }[]; size: number } | null = null;
/** The output of the last binary call, held until the next one so the caller can copy it. */
let lastOutput: ArrayBuffer | null = null;

/** Opens a binary call with nBytes of input; the caller writes the arrays into the buffer. */
export function beginBinaryCall(nBytes: number): ArrayBuffer {
  exchange = { input: new ArrayBuffer(nBytes), outputs: [], size: 0 };
  lastOutput = null;
  return exchange.input;
}

/** Ends the binary call: the arrays the call gave back, at the offsets its JSON names. */
export function endBinaryCall(): ArrayBuffer {
  const out = new Uint8Array(exchange?.size ?? 0);
  exchange?.outputs.forEach(o => out.set(o.bytes, o.at));
  exchange = null;
  lastOutput = out.buffer;
  return lastOutput;
}

/** An argument's JSON, its {dtype, shape, blob} arrays made views of the binary call's input. */
function parseArg(text: string): unknown {
  const input = exchange?.input;
  if (!input) {
    return JSON.parse(text);
  }
  return JSON.parse(text, (_key, value: unknown) => {
    const blob = (value as { blob?: unknown } | null)?.blob;
    if (!Array.isArray(blob) || typeof value !== 'object') {
      return value;
    }
    const [at, bytes] = blob as number[];
    if (!Number.isInteger(at) || !Number.isInteger(bytes) || at < 0 || bytes < 0 || at + bytes > input.byteLength) {
      throw new InputError(`an array's bytes ${shown(blob)} lie outside the ${input.byteLength} bytes sent`);
    }
    const { dtype, shape } = value as Json;
    return { dtype, shape, data: new Uint8Array(input, at, bytes) };
  });
}

/** An array given back: into the binary call's output when there is one, else base64. */
function outArray(
  array: Float64Array | Float32Array | Int32Array | Int16Array | Uint8Array | Uint32Array,
  shape?: number[]
): Json {
  if (!exchange) {
    return encodeArray(array, shape) as unknown as Json;
  }
  const at = Math.ceil(exchange.size / 8) * 8; // aligned, as the caller's offsets are
  exchange.outputs.push({ at, bytes: new Uint8Array(array.buffer, array.byteOffset, array.byteLength) });
  exchange.size = at + array.byteLength;
  return { dtype: dtypeOf(array), shape: shape ?? [array.length], blob: [at, array.byteLength] };
}

function guarded(fn: () => Json): string {
  try {
    return JSON.stringify({ ok: true, ...fn() });
  } catch (e) {
    const error = e as Error;
    return JSON.stringify({
      ok: false,
      kind: error instanceof IRError ? 'ir' : error.name || 'Error',
      error: error.message
    });
  }
}

/**
 * Lowered models Python keeps using (evaluate, predict_device) after compiling them, by the
 * key it chose: a device run then needs neither the IR again nor its lowering. The oldest go
 * first; a key not found (evicted, or a fresh engine in a forked child) makes Python send the
 * IR again (runKept answers {missing: true}).
 */
const kept = new Map<string, LoweredModel>();
const KEPT_MODELS = 4;

function keep(key: string, model: LoweredModel): void {
  kept.delete(key);
  kept.set(key, model);
  while (kept.size > KEPT_MODELS) {
    kept.delete(kept.keys().next().value as string);
  }
}

/** compile(irJson, optionsJson, keyJson?) -> {header, size, structure, tables summary}; keeps the model under key. */
export function compile(irJson: string, optionsJson: string, keyJson = 'null'): string {
  return guarded(() => {
    const lowered = lowerModel(parseArg(irJson), parseOptions(optionsJson));
    const model = compileLowered(lowered);
    const key = JSON.parse(keyJson) as string | null;
    if (typeof key === 'string') {
      keep(key, lowered);
    }
    return {
      compiler_version: model.compilerVersion,
      options: model.options,
      strategy: model.strategy,
      auto_choice: model.autoChoice,
      header: model.header,
      size: model.size,
      structure: model.structure,
      tables: tablesSummary(model),
      warnings: model.warnings ?? [],
      accepts_nan: acceptsNaN(model.ir)
    };
  });
}

/** An array the caller passes (rows, calibration, reference): a bad encoding is an InputError. */
function inputArray<D extends DType>(
  value: unknown,
  dtype: D,
  where: string
): { array: TypedArrayOf<D>; shape: number[] } {
  try {
    return decodeArray(value, dtype, where);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/** Options JSON; an int8 network's calibration rows come as an encoded float32 array. */
function parseOptions(optionsJson: string): Partial<CompileOptions> {
  const raw = parseArg(optionsJson) as Json;
  const options = { ...raw } as Partial<CompileOptions>;
  if (raw.calibration) {
    options.calibration = inputArray(raw.calibration, 'float32', 'calibration').array;
  }
  return options;
}

/** What the Python side shows of the lowered tables. */
function tablesSummary(model: CompiledModel): Json {
  return familyOf(model).tablesSummary(model, model.structure);
}

/**
 * run(irJson, optionsJson, inputJson): input is {x: EncodedArray float32 [n_rows, n_features],
 * reference?: {classes?: int32, values?: float64, truth?: int32}}. Returns the device output
 * as encoded arrays and the agreement report.
 */
export function run(irJson: string, optionsJson: string, inputJson: string): string {
  return guarded(() => runModel(lowerModel(parseArg(irJson), parseOptions(optionsJson)), inputJson));
}

/** runKept(keyJson, inputJson): run on the model compile kept under key, or {missing: true}. */
export function runKept(keyJson: string, inputJson: string): string {
  return guarded(() => {
    const model = kept.get(JSON.parse(keyJson) as string);
    return model ? runModel(model, inputJson) : { missing: true };
  });
}

function runModel(model: LoweredModel, inputJson: string): Json {
  const input = parseArg(inputJson) as Json;
  const { array: x, shape } = inputArray(input.x, 'float32', 'x');
  if (shape.length !== 2) {
    throw new InputError(`x: expected a 2-D array, got shape ${shown(shape)}`);
  }
  if (shape[1] !== inputCount(model.ir)) {
    throw new InputError(`x has ${shape[1]} features per row, the model expects ${inputCount(model.ir)}`);
  }
  const device = runOnDevice(model, x, shape[0]);
  const ref = (input.reference ?? {}) as Json;
  const optional = (key: string, dtype: 'int32' | 'float64') =>
    ref[key] ? inputArray(ref[key], dtype, `reference.${key}`).array : null;
  const report = compareWithReference(
    model,
    device,
    {
      classes: optional('classes', 'int32'),
      values: optional('values', 'float64'),
      truth: optional('truth', 'int32'),
      scores: optional('scores', 'float64')
    },
    x
  );
  return {
    classes: outArray(device.classes),
    values: outArray(device.values, [shape[0], deviceValueCount(model)]),
    report,
    warnings: model.warnings ?? []
  };
}

/**
 * features(nameJson, inputJson): the C runtime's feature extractors on encoded float32 arrays.
 * name: power_spectrum {x [rows, n_fft], window}, log_mel {power [rows, bins], n_fft,
 * sample_rate, n_mels, fmin, fmax, amin}, mfcc {log_mel [rows, n_mels], n_mfcc}, window_stats
 * {x [rows, n * stride], n, stride, n_axes}, log_mel_clips {x [rows, samples], stage: the IR's
 * log_mel feature stage without samples}, median_filter {x [n], k}, events {x [n], on, off,
 * min_duration}. Returns {out} (or {state, onsets, offsets} for events) as encoded arrays.
 */
export function features(nameJson: string, inputJson: string): string {
  return guarded(() => {
    const name = JSON.parse(nameJson) as string;
    const input = parseArg(inputJson) as Json;
    const f = featureRuntime();
    const matrix = (key: string) => {
      const { array, shape } = inputArray(input[key], 'float32', key);
      if (shape.length !== 2 || shape[0] < 1 || shape[1] < 1) {
        throw new InputError(`${key}: expected a non-empty 2-D array, got shape ${shown(shape)}`);
      }
      return { array, rows: shape[0], cols: shape[1] };
    };
    const num = (key: string) => {
      const v = input[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InputError(`${key}: expected a number, got ${shown(v)}`);
      }
      return v;
    };
    switch (name) {
      case 'power_spectrum': {
        const x = matrix('x');
        const window = String(input.window ?? 'hann') as WindowKind;
        if (!(window in WINDOW_CODES)) {
          throw new InputError(`window: expected rect, hann or hamming, got ${shown(input.window)}`);
        }
        const out = f.powerSpectrum(x.array, x.rows, x.cols, window);
        return { out: outArray(out, [x.rows, Math.floor(x.cols / 2) + 1]) };
      }
      case 'log_mel': {
        const p = matrix('power');
        const nFft = num('n_fft');
        const nMels = num('n_mels');
        const out = f.logMel(p.array, p.rows, nFft, num('sample_rate'), nMels, num('fmin'), num('fmax'), num('amin'));
        return { out: outArray(out, [p.rows, nMels]) };
      }
      case 'mfcc': {
        const m = matrix('log_mel');
        const n = num('n_mfcc');
        return { out: outArray(f.mfcc(m.array, m.rows, m.cols, n), [m.rows, n]) };
      }
      case 'log_mel_clips': {
        // LogMelFeatures: the stage a header exports, run on whole clips
        const x = matrix('x');
        const stage = parseFeatureStage({ ...(input.stage as Json), kind: 'log_mel', samples: x.cols });
        const out = runFeatureStage(stage, x.array, x.rows);
        return { out: outArray(out, [x.rows, stageWidth(stage)]) };
      }
      case 'window_stats': {
        const x = matrix('x');
        const nAxes = num('n_axes');
        return {
          out: outArray(f.windowStats(x.array, x.rows, num('n'), num('stride'), nAxes), [x.rows, nAxes * 7])
        };
      }
      case 'magnitude': {
        const xyz = inputArray(input.xyz, 'float32', 'xyz').array;
        if (xyz.length === 0 || xyz.length % 3 !== 0) {
          throw new InputError(`xyz: expected whole xyz samples, got ${xyz.length} values`);
        }
        return { out: outArray(f.magnitude(xyz)) };
      }
      case 'median_filter': {
        const x = inputArray(input.x, 'float32', 'x').array;
        return { out: outArray(f.medianFilter(x, num('k'))) };
      }
      case 'events': {
        const x = inputArray(input.x, 'float32', 'x').array;
        const r = f.hysteresisEvents(x, num('on'), num('off'), num('min_duration'));
        return { state: outArray(r.state), onsets: outArray(r.onsets), offsets: outArray(r.offsets) };
      }
      default:
        throw new InputError(`unknown feature extractor ${shown(name)}`);
    }
  });
}

/**
 * bundle(irJson, optionsJson, inputJson): the export bundle's files (src/core/bundle/bundle.ts).
 * input: {x: EncodedArray float32 [n_rows, n_inputs], reference?: {classes?: int32,
 * values?: float64, truth?: int32}, target?: string}. Returns {files: {path: text}, sets}.
 */
export function bundle(irJson: string, optionsJson: string, inputJson: string): string {
  return guarded(() => {
    const model = compileModel(parseArg(irJson), parseOptions(optionsJson));
    const input = parseArg(inputJson) as Json;
    const { array: x, shape } = inputArray(input.x, 'float32', 'x');
    if (shape.length !== 2) {
      throw new InputError(`x: expected a 2-D array, got shape ${shown(shape)}`);
    }
    const ref = (input.reference ?? {}) as Json;
    const optional = (key: string, dtype: 'int32' | 'float64') =>
      ref[key] ? inputArray(ref[key], dtype, `reference.${key}`).array : null;
    const made = makeBundle(
      model,
      x,
      shape[0],
      {
        classes: optional('classes', 'int32'),
        values: optional('values', 'float64'),
        truth: optional('truth', 'int32')
      },
      { target: typeof input.target === 'string' ? input.target : undefined }
    );
    return {
      files: made.files,
      target: made.target,
      sets: made.sets.map(s => ({ name: s.name, checked: s.checked, why: s.why }))
    };
  });
}

/** featureView(stateJson): the FeatureView widget's device half as the browser runs it -> {device}. */
export function featureView(stateJson: string): string {
  return guarded(() => ({ device: deviceTrait(runFeatureView(parseArg(stateJson) as FeatureViewState)) }));
}

/**
 * estimate(irJson, optionsJson, budgetsJson): flash, RAM and cycles of one prediction on every
 * target profile (src/core/estimate/targets.ts); budgets {flash_budget?, ram_budget?} override the
 * profiles' memory in `fits`.
 */
export function estimate(irJson: string, optionsJson: string, budgetsJson = '{}'): string {
  return guarded(() => {
    const model = lowerModel(parseArg(irJson), parseOptions(optionsJson));
    const budgets = JSON.parse(budgetsJson) as { flash_budget?: number | null; ram_budget?: number | null };
    return {
      targets: TARGETS,
      estimates: TARGETS.map(t =>
        estimateForTarget(model, t, { flashBudget: budgets.flash_budget, ramBudget: budgets.ram_budget })
      )
    };
  });
}

/**
 * exportOptions(irJson): the export options the compiler offers this model, as the Inspector
 * and the sweep list them: {feature_types, strategies, leaf_types}, each combination's name
 * (labels, keyed "feature/strategy/leaf": one naming function for every view), and whether rows with NaN
 * may be run (accepts_nan). Strategies are the code
 * forms ("auto" is a choice between them, not a form of its own).
 */
export function exportOptions(irJson: string): string {
  return guarded(() => {
    const ir = parseModelIR(parseArg(irJson));
    const offered = modelExportOptions(ir);
    return {
      feature_types: offered.featureTypes,
      strategies: offered.strategies,
      leaf_types: offered.leafTypes,
      // the name of each option, as the Inspector's table, the sweep and Python show it
      labels: Object.fromEntries(
        offered.featureTypes.flatMap(featureType =>
          offered.strategies.flatMap(strategy =>
            offered.leafTypes.map(leafType => [
              optionKey(featureType, strategy, leafType),
              familyOf(ir).optionLabel({ featureType, strategy, leafType })
            ])
          )
        )
      ),
      accepts_nan: acceptsNaN(ir)
    };
  });
}

/** The key of an option in exportOptions' labels: "int16/tables/uint8" (tinyml_lab.convert.option_label reads it). */
function optionKey(featureType: string, strategy: string, leafType: string): string {
  return `${featureType}/${strategy}/${leafType}`;
}

/** checkModelName(nameJson): {} when the name is a usable header name, else the error why not. */
export function checkModelName(nameJson: string): string {
  return guarded(() => {
    checkName(JSON.parse(nameJson));
    return {};
  });
}

/** targetProfiles(): the target profiles of src/core/estimate/profiles.ts. */
export function targetProfiles(): string {
  return guarded(() => ({ targets: TARGETS }));
}
