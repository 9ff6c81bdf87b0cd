/** A model's size estimate, whatever its family: the family's own, plus its feature stage. */
import type { LoweredModel } from '../families/registry';
import { familyOf } from '../families/registry';
import { withStageSize } from '../features/stage';
import type { Strategy } from '../options';
import type { SizeEstimate } from './size';

/**
 * The Cortex-M4F estimate of a lowered model of any family, for one code strategy: its
 * preprocessing net (a pipeline in front of a Gaussian, SVM or neighbour model) and its
 * feature stage included. The one place the compiler, the widget and the target profiles
 * take a model's size from.
 */
export function estimateSize(model: LoweredModel, strategy: Strategy = 'tables'): SizeEstimate {
  const size = familyOf(model).size(model, strategy);
  const stage = model.ir.featureStage;
  return stage ? withStageSize(size, stage) : size;
}
