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
  /** Rows per class index, as the reference and as the device assign them. */
  referenceCounts: number[];
  deviceCounts: number[];
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
    referenceCounts: confusion.map(row => row.reduce((a, b) => a + b, 0)),
    deviceCounts: confusion[0]?.map((_, k) => confusion.reduce((sum, row) => sum + row[k], 0)) ?? [],
    deviceAccuracy: accuracy(device),
    referenceAccuracy: accuracy(reference)
  };
}

export interface ValueAgreement {
  maxAbsError: number;
  rmse: number;
  /** ||device - reference|| / ||reference|| (0 when both are zero). */
  relativeL2: number;
  /** device . reference / (||device|| ||reference||) (1 when both are zero). */
  cosine: number;
}

export function compareValues(device: ArrayLike<number>, reference: ArrayLike<number>): ValueAgreement {
  if (device.length !== reference.length) {
    throw new Error(`device output has ${device.length} values, reference has ${reference.length}`);
  }
  let maxAbs = 0;
  let sumSq = 0;
  let dot = 0;
  let deviceSq = 0;
  let referenceSq = 0;
  for (let i = 0; i < device.length; i++) {
    const d = device[i] - reference[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    sumSq += d * d;
    dot += device[i] * reference[i];
    deviceSq += device[i] * device[i];
    referenceSq += reference[i] * reference[i];
  }
  const norms = Math.sqrt(deviceSq) * Math.sqrt(referenceSq);
  return {
    maxAbsError: maxAbs,
    rmse: device.length ? Math.sqrt(sumSq / device.length) : 0,
    relativeL2: referenceSq > 0 ? Math.sqrt(sumSq / referenceSq) : Math.sqrt(sumSq),
    cosine: norms > 0 ? dot / norms : deviceSq === referenceSq ? 1 : 0
  };
}
