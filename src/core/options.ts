/**
 * Export options: how a model's numbers are stored (feature type, leaf type) and what form
 * its code takes (strategy). Which of them a model offers is its family's choice
 * (Family.exportOptions); this module only names them and checks a request.
 */
import { checkModelName } from './emit/frame';
import { TARGETS } from './estimate/profiles';
import { InputError } from './input';

/** Numbers of the features (trees quantize to int16 / int8) or of the whole net (int8). */
export type FeatureType = 'float32' | 'int16' | 'int8';
/**
 * How leaf rows are stored: float32; probabilities as uint8 (value = u8 / 255, forest
 * classifiers); or int16 fixed point (value = i16 * 2^-k, models with one value per leaf).
 */
export type LeafType = 'float32' | 'uint8' | 'int16';
/** tables: const tables walked by the runtime; inline: one function of if/goto per tree. */
export type Strategy = 'tables' | 'inline';

export const FEATURE_TYPES: FeatureType[] = ['float32', 'int16', 'int8'];
export const LEAF_TYPES: LeafType[] = ['float32', 'uint8', 'int16'];
/** The code forms a compiled model can take; "auto" picks one of them. */
export const CODE_STRATEGIES: Strategy[] = ['tables', 'inline'];
export const STRATEGIES: Array<Strategy | 'auto'> = ['tables', 'inline', 'auto'];

export interface CompileOptions {
  /** C identifier used as the prefix of every symbol, and as the file stem. */
  name: string;
  featureType: FeatureType;
  /** Leaf rows as float32, probabilities as uint8 (forest classifiers) or int16 fixed point (one value per leaf). */
  leafType: LeafType;
  /** Embed the runtime in the header (one self-contained file). */
  standalone: boolean;
  /**
   * Node tables walked by the runtime, inline code per tree, or "auto": the code form estimated
   * fastest on `target` among those that fit its part, else the smallest (trees).
   */
  strategy: Strategy | 'auto';
  /**
   * The target profile "auto" chooses for (estimate/profiles.ts ids: "cortex-m4f",
   * "cortex-m0plus", "avr", ...): the product's default part, Cortex-M4F, unless given.
   * Nothing else depends on it: the header is the same C for every target.
   */
  target: string;
  /**
   * Representative input rows (row-major float32) that an int8 network's activation ranges
   * are measured on: a few hundred training rows. Not needed otherwise.
   */
  calibration?: Float32Array | null;
}

/** The target "auto" chooses for when none is given, as the size estimate's own (Cortex-M4F). */
export const DEFAULT_TARGET = 'cortex-m4f';

export const DEFAULT_OPTIONS: CompileOptions = {
  name: 'model',
  featureType: 'float32',
  leafType: 'float32',
  standalone: true,
  strategy: 'tables',
  target: DEFAULT_TARGET
};

/** What a family offers one model: the options the Inspector, the sweep and Python list. */
export interface ExportOptions {
  featureTypes: FeatureType[];
  strategies: Strategy[];
  leafTypes: LeafType[];
}

/** The default options with the given ones on top, checked (not yet against the model's family). */
export function resolveOptions(options: Partial<CompileOptions> | undefined): CompileOptions {
  const merged = { ...DEFAULT_OPTIONS, ...(options ?? {}) };
  if (!FEATURE_TYPES.includes(merged.featureType)) {
    throw new InputError(
      `unsupported feature type ${JSON.stringify(merged.featureType)}; use "float32", "int16" or "int8"`
    );
  }
  if (!LEAF_TYPES.includes(merged.leafType)) {
    throw new InputError(`unsupported leaf type ${JSON.stringify(merged.leafType)}; use "float32", "uint8" or "int16"`);
  }
  if (!STRATEGIES.includes(merged.strategy)) {
    throw new InputError(`unsupported strategy ${JSON.stringify(merged.strategy)}; use "tables", "inline" or "auto"`);
  }
  if (!TARGETS.some(t => t.id === merged.target)) {
    throw new InputError(
      `unknown target ${JSON.stringify(merged.target)}; use one of ${TARGETS.map(t => t.id).join(', ')}`
    );
  }
  checkModelName(merged.name);
  merged.standalone = Boolean(merged.standalone);
  return merged;
}
