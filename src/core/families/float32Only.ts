/**
 * Families that compute in float32 only (Gaussian models, SVMs, nearest neighbours): their one
 * export form, and the refusal of any other.
 */
import { CompileOptions, ExportOptions } from '../options';
import { OptionError } from '../input';
import { clipped } from '../ir/show';

/** The one export form of a float32-only family. */
export function floatOnlyOptions(): ExportOptions {
  return { featureTypes: ['float32'], strategies: ['tables'], leafTypes: ['float32'] };
}

/** Models computed in float32 only: other feature types, leaves and strategies are refused. */
export function refuseQuantization(estimator: string, options: CompileOptions): void {
  if (options.featureType !== 'float32' || options.leafType !== 'float32' || options.strategy === 'inline') {
    throw new OptionError(
      `${clipped(estimator.split('.').pop() ?? estimator)} is exported in float32 only (features, values and code form): ` +
        'leave featureType and leafType at float32 and strategy at tables or auto'
    );
  }
}
