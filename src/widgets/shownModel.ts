/**
 * The compiled model as the Inspector's page receives it: everything but the bulk of its IR.
 * The page draws from the header, tables, size and structure, and reads of the IR only its
 * headline (estimator, task, classes, feature names, an anomaly model's offset...). A 500-tree
 * forest's parsed IR is 11 MB of typed arrays: cloned from the worker to the page, it cost the
 * page's main thread more than everything else in the result together.
 */
import type { CompiledModel, ModelIR } from '../core/compile';
import type { BaseIR } from '../core/ir/types';

/** Fields of one IR kind whose values are not objects: numbers, strings, booleans. */
type ScalarFields<I> = { [K in keyof I]: I[K] extends object ? never : K }[keyof I];

/** An IR's common fields and its scalar ones, per IR kind (so `'offset' in ir` still narrows). */
export type ShownIR = ModelIR extends infer I ? (I extends ModelIR ? BaseIR & Pick<I, ScalarFields<I>> : never) : never;

export type ShownModel = Omit<CompiledModel, 'ir'> & { ir: ShownIR };

/** The IR's common fields and scalar ones, without its arrays of trees, layers or vectors. */
export function shownIR(ir: ModelIR): ShownIR {
  // the common fields that are not scalars; the loop copies the others (format, estimator, task...)
  const { classes, featureNames, featureStage } = ir;
  const shown: Record<string, unknown> = { classes, featureNames, featureStage };
  for (const [key, value] of Object.entries(ir)) {
    if (value === null || typeof value !== 'object') {
      shown[key] = value;
    }
  }
  // the common fields and every scalar one: what ShownIR names, which the compiler cannot follow
  return shown as unknown as ShownIR;
}

export function shownModel(model: CompiledModel): ShownModel {
  return { ...model, ir: shownIR(model.ir) };
}
