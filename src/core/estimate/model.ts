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
  return perStrategy(sizes, model, strategy, () => {
    const size = familyOf(model).size(model, strategy);
    const stage = model.ir.featureStage;
    return stage ? withStageSize(size, stage) : size;
  });
}

const sizes = new WeakMap<LoweredModel, Map<Strategy, SizeEstimate>>();

/**
 * What `compute` gives for this model and strategy, computed once: a lowered model does not
 * change once built, and the Inspector asks for each option's size and operations on every
 * target (a forest's inline code is counted node by node each time).
 */
export function perStrategy<T>(
  known: WeakMap<LoweredModel, Map<Strategy, T>>,
  model: LoweredModel,
  strategy: Strategy,
  compute: () => T
): T {
  let byStrategy = known.get(model);
  if (!byStrategy) {
    byStrategy = new Map();
    known.set(model, byStrategy);
  }
  if (!byStrategy.has(strategy)) {
    byStrategy.set(strategy, compute());
  }
  return byStrategy.get(strategy) as T;
}
