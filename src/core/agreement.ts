/**
 * How far the device output is from the reference: the agreement panel of the widget
 * and the headless evaluate() report both come from here.
 */

export interface ClassAgreement {
  nRows: number;
  nAgree: number;
  /** nAgree / nRows (1 for no rows). */
  rate: number;
  /** confusion[ref][device]: rows whose reference class is ref and device class is device. */
  confusion: number[][];
  /** Row indices where device and reference differ. */
  disagreeing: number[];
  /** Accuracy of the device output against the true labels, when they were given. */
  deviceAccuracy: number | null;
  referenceAccuracy: number | null;
}

export function compareClasses(
  device: ArrayLike<number>,
  reference: ArrayLike<number>,
  nClasses: number,
  truth?: ArrayLike<number> | null
): ClassAgreement {
  if (device.length !== reference.length) {
    throw new Error(`device output has ${device.length} rows, reference has ${reference.length}`);
  }
  const confusion = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  const disagreeing: number[] = [];
  for (let r = 0; r < device.length; r++) {
    const ref = reference[r];
    const dev = device[r];
    if (ref >= 0 && ref < nClasses && dev >= 0 && dev < nClasses) {
      confusion[ref][dev]++;
    }
    if (ref !== dev) {
      disagreeing.push(r);
    }
  }
  const accuracy = (pred: ArrayLike<number>): number | null => {
    if (!truth || truth.length !== pred.length || pred.length === 0) {
      return null;
    }
    let hits = 0;
    for (let r = 0; r < pred.length; r++) {
      hits += pred[r] === truth[r] ? 1 : 0;
    }
    return hits / pred.length;
  };
  const nRows = device.length;
  return {
    nRows,
    nAgree: nRows - disagreeing.length,
    rate: nRows === 0 ? 1 : (nRows - disagreeing.length) / nRows,
    confusion,
    disagreeing,
    deviceAccuracy: accuracy(device),
    referenceAccuracy: accuracy(reference)
  };
}

export interface ValueAgreement {
  maxAbsError: number;
  rmse: number;
}

export function compareValues(device: ArrayLike<number>, reference: ArrayLike<number>): ValueAgreement {
  if (device.length !== reference.length) {
    throw new Error(`device output has ${device.length} values, reference has ${reference.length}`);
  }
  let maxAbs = 0;
  let sumSq = 0;
  for (let i = 0; i < device.length; i++) {
    const d = device[i] - reference[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    sumSq += d * d;
  }
  return { maxAbsError: maxAbs, rmse: device.length ? Math.sqrt(sumSq / device.length) : 0 };
}
