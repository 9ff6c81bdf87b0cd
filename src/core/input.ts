/**
 * Input data the compiler is handed (rows to run, calibration rows): its checks and the
 * error they raise, which the headless API reports as an input problem, not a compiler bug.
 */

/** Feature data that cannot be run: wrong shape, NaN or infinite values. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Rejects feature matrices that the device could not be compared on. */
export function checkFeatureMatrix(x: ArrayLike<number>, nRows: number, nFeatures: number, what = 'X'): void {
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
    if (!Number.isFinite(x[i])) {
      throw new InputError(
        `${what} row ${Math.floor(i / nFeatures)}, feature ${i % nFeatures} is ${x[i]}; ` +
          'remove or impute NaN and infinite values first'
      );
    }
  }
}
