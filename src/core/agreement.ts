/**
 * How far the device output is from the reference: the agreement panel of the widget
 * and the headless evaluate() report both come from here.
 */

/**
 * Classes up to which the report carries the dense confusion matrix (for the widget's
 * heatmap); beyond, only its non-zero cells, so memory grows with the rows, not classes².
 */
export const MAX_DENSE_CONFUSION_CLASSES = 64;

export interface ClassAgreement {
  nRows: number;
  nAgree: number;
  /** nAgree / nRows (1 for no rows). */
  rate: number;
  /**
   * confusion[ref][device]: rows whose reference class is ref and device class is device;
   * null for more than MAX_DENSE_CONFUSION_CLASSES classes (see confusionCells).
   */
  confusion: number[][] | null;
  /** The non-zero cells of the confusion matrix, [ref, device, rows], by ref then device. */
  confusionCells: Array<[number, number, number]>;
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
  const cells = new Map<number, number>(); // ref * nClasses + device -> rows
  const referenceCounts = new Array<number>(nClasses).fill(0);
  const deviceCounts = new Array<number>(nClasses).fill(0);
  const disagreeing: number[] = [];
  for (let r = 0; r < device.length; r++) {
    const ref = reference[r];
    const dev = device[r];
    if (ref >= 0 && ref < nClasses && dev >= 0 && dev < nClasses) {
      const key = ref * nClasses + dev;
      cells.set(key, (cells.get(key) ?? 0) + 1);
      referenceCounts[ref]++;
      deviceCounts[dev]++;
    }
    if (ref !== dev) {
      disagreeing.push(r);
    }
  }
  const confusionCells = [...cells.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([key, rows]): [number, number, number] => [Math.floor(key / nClasses), key % nClasses, rows]);
  let confusion: number[][] | null = null;
  if (nClasses <= MAX_DENSE_CONFUSION_CLASSES) {
    confusion = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
    for (const [ref, dev, rows] of confusionCells) {
      confusion[ref][dev] = rows;
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
    confusionCells,
    disagreeing,
    referenceCounts,
    deviceCounts,
    deviceAccuracy: accuracy(device),
    referenceAccuracy: accuracy(reference)
  };
}

export interface ValueAgreement {
  /**
   * Device values that are NaN or infinite where the reference's are finite: each is a
   * disagreement. The errors below are over the other values; a report with any such value
   * never passes (tinyml_lab's report checks nonFinite first).
   */
  nonFinite: number;
  /** Rows holding such a value. */
  nonFiniteRows: number[];
  maxAbsError: number;
  rmse: number;
  /** ||device - reference|| / ||reference|| (0 when both are zero). */
  relativeL2: number;
  /** device . reference / (||device|| ||reference||) (1 when both are zero). */
  cosine: number;
}

/**
 * How device values compare with the reference's, `valuesPerRow` to a row. Pairs where the
 * device gives NaN or an infinity and the reference a number are counted apart (nonFinite):
 * they would turn every error into NaN or Infinity, which JSON cannot even carry.
 */
export function compareValues(
  device: ArrayLike<number>,
  reference: ArrayLike<number>,
  valuesPerRow = 1
): ValueAgreement {
  if (device.length !== reference.length) {
    throw new Error(`device output has ${device.length} values, reference has ${reference.length}`);
  }
  let maxAbs = 0;
  let sumSq = 0;
  let dot = 0;
  let deviceSq = 0;
  let referenceSq = 0;
  let measured = 0;
  const nonFiniteRows = new Set<number>();
  let nonFinite = 0;
  for (let i = 0; i < device.length; i++) {
    if (!Number.isFinite(device[i]) && Number.isFinite(reference[i])) {
      nonFinite++;
      nonFiniteRows.add(Math.floor(i / valuesPerRow));
      continue;
    }
    const d = device[i] - reference[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    sumSq += d * d;
    dot += device[i] * reference[i];
    deviceSq += device[i] * device[i];
    referenceSq += reference[i] * reference[i];
    measured++;
  }
  const norms = Math.sqrt(deviceSq) * Math.sqrt(referenceSq);
  return {
    nonFinite,
    nonFiniteRows: [...nonFiniteRows],
    maxAbsError: maxAbs,
    rmse: measured ? Math.sqrt(sumSq / measured) : 0,
    relativeL2: referenceSq > 0 ? Math.sqrt(sumSq / referenceSq) : Math.sqrt(sumSq),
    cosine: norms > 0 ? dot / norms : deviceSq === referenceSq ? 1 : 0
  };
}
