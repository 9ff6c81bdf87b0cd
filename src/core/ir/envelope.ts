/**
 * The model IR's envelope: what the Python side reads from a fitted estimator, and the only
 * input of the compiler (docs/ir.md; bump IR_VERSION on any change an older compiler would
 * misread). parseModelIR checks the fields every family shares, hands the rest to the
 * family's own parser (families/registry.ts) and attaches a feature stage.
 *
 * parseModelIR() is the single gate: everything past it may assume a well-formed model.
 */
import { familyById, FAMILY_IDS, ModelIR } from '../families/registry';
import { parseFeatureStage, stageWidth } from '../features/stage';
import { parsePreprocess } from '../families/nets/ir';
import { fail, requireInteger } from './read';
import { ClassLabel, IR_FORMAT, IR_VERSION, MAX_NET_FEATURES, Task } from './types';
import { shown } from './show';

/** Parses and validates an IR object (already JSON-decoded). Throws IRError. */
export function parseModelIR(raw: unknown): ModelIR {
  const ir = parseFamily(raw);
  const stage = (raw as Record<string, unknown>).feature_stage;
  if (stage == null) {
    return ir;
  }
  const featureStage = parseFeatureStage(stage);
  if (stageWidth(featureStage) !== ir.nFeatures) {
    fail('feature_stage', `gives ${stageWidth(featureStage)} features, the model takes ${ir.nFeatures}`);
  }
  return { ...ir, featureStage };
}

function parseFamily(raw: unknown): ModelIR {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail('$', 'expected a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  if (obj.format !== IR_FORMAT) {
    fail('format', `expected "${IR_FORMAT}", got ${shown(obj.format)}`);
  }
  const version = requireInteger(obj.version, 'version', 1, Number.MAX_SAFE_INTEGER);
  if (version > IR_VERSION) {
    fail('version', `IR version ${version} is newer than this compiler (${IR_VERSION}); upgrade tinyml-lab`);
  }
  if (!FAMILY_IDS.includes(obj.family as string)) {
    fail('family', `unsupported model family ${shown(obj.family)}`);
  }
  const family = familyById(obj.family as string);
  if (typeof obj.estimator !== 'string' || obj.estimator.length === 0) {
    fail('estimator', 'expected the estimator class name');
  }
  if (obj.task !== 'classification' && obj.task !== 'regression' && obj.task !== 'anomaly') {
    fail('task', `expected "classification", "regression" or "anomaly", got ${shown(obj.task)}`);
  }
  const task: Task = obj.task;
  const nFeatures = requireInteger(obj.n_features, 'n_features', 1, family.maxFeatures ?? MAX_NET_FEATURES);
  let classes: ClassLabel[] = [-1, 1];
  if (task === 'classification') {
    if (!Array.isArray(obj.classes) || obj.classes.length < 1) {
      fail('classes', 'a classifier needs its list of classes');
    }
    if (obj.classes.some(c => typeof c !== 'string' && !(typeof c === 'number' && Number.isFinite(c)))) {
      fail('classes', 'class labels must be numbers or strings');
    }
    classes = obj.classes as ClassLabel[];
  } else if (task === 'regression') {
    classes = [];
  }
  let featureNames: string[] = [];
  if (obj.feature_names !== undefined && obj.feature_names !== null) {
    if (
      !Array.isArray(obj.feature_names) ||
      (obj.feature_names.length !== nFeatures && obj.feature_names.length !== 0) ||
      obj.feature_names.some(s => typeof s !== 'string')
    ) {
      fail('feature_names', `expected ${nFeatures} strings`);
    }
    featureNames = obj.feature_names as string[];
  }
  const common = { version, estimator: obj.estimator, classes, featureNames, nFeatures, task };
  if (family.pipeline === 'preprocess-net') {
    // A pipeline's preprocessing runs first; the model's own arrays are in its output space.
    const preprocess = obj.preprocess == null ? null : parsePreprocess(obj.preprocess, nFeatures, common);
    const inner = { ...common, nFeatures: preprocess ? preprocess.nOutputs : nFeatures };
    return { ...family.parse(obj, inner), nFeatures, modelFeatures: inner.nFeatures, preprocess } as ModelIR;
  }
  if (family.pipeline === 'none' && obj.preprocess != null) {
    fail('preprocess', 'trees and networks take no preprocess list (a network has its scalers as layers)');
  }
  return family.parse(obj, common);
}
