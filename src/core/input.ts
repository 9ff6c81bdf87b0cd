/**
 * Input data the compiler is handed (rows to run, calibration rows) and options: their checks and the
 * errors they raise, which the headless API reports as the caller's problem, not a compiler bug.
 */

/** Feature data that cannot be run: wrong shape, NaN or infinite values. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * A refusal of an export option this model does not offer (a feature type, a leaf type, a
 * code form): the user's choice, not the IR or the compiler, is at fault, and the message says
 * what to choose instead. Python raises CompilerError for it, as for every refusal of options.
 */
export class OptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

/**
 * Rejects feature matrices that the device could not be compared on. NaN passes when the model
 * routes it (allowNaN); infinite values never do: the libraries the models come from refuse them.
 */
export function checkFeatureMatrix(
  x: ArrayLike<number>,
  nRows: number,
  nFeatures: number,
  what = 'X',
  allowNaN = false
): void {
  if (!Number.isInteger(nRows) || nRows < 0) {
    throw new InputError(`${what}: row count must be a non-negative integer, got ${nRows}`);
  }
  if (x.length !== nRows * nFeatures) {
    const perRow = nRows > 0 ? x.length / nRows : x.length;
    throw new InputError(
      `${what} has ${Number.isInteger(perRow) ? perRow : x.length} features per row, the model expects ${nFeatures}`
    );
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v) && !(allowNaN && Number.isNaN(v))) {
      throw new InputError(
        `${what} row ${Math.floor(i / nFeatures)}, feature ${i % nFeatures} is ${v}; ` +
          (allowNaN
            ? 'replace infinite values (NaN is allowed: each split sends it its learned way)'
            : "remove or impute NaN and infinite values first (this model's device code has no rule for them)")
      );
    }
  }
}
