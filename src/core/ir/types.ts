/**
 * What every model IR has, whatever its family (docs/ir.md, "Top level"). Each family adds
 * its own keys (families/<family>/ir.ts); ir/envelope.ts checks these and hands the rest to
 * the family.
 */
import type { FeatureStage } from '../features/stage';

export const IR_FORMAT = 'tinyml-lab-ir';
export const IR_VERSION = 1;

/** Largest input of any model, n_features (docs/ir.md): sizes are int32 in the C runtime, far above. */
export const MAX_NET_FEATURES = 1 << 24;

export type Task = 'classification' | 'regression' | 'anomaly';
export type ClassLabel = number | string;

/** The fields parseModelIR reads for every family, as a family's parser receives them. */
export interface CommonFields {
  version: number;
  /** Fully qualified estimator class, e.g. sklearn.ensemble.RandomForestClassifier. */
  estimator: string;
  /** Classes in the order of classes_; [-1, 1] (outlier, inlier) for anomaly; none for regression. */
  classes: ClassLabel[];
  featureNames: string[];
  nFeatures: number;
}

/** The fields of every parsed IR. */
export interface BaseIR {
  format: typeof IR_FORMAT;
  version: number;
  family: string;
  estimator: string;
  task: Task;
  nFeatures: number;
  classes: ClassLabel[];
  featureNames: string[];
  /** tinyml_lab.features transformer exported in front of the model (raw windows in), or none. */
  featureStage?: FeatureStage | null;
}
