/**
 * Flash and RAM estimate of an exported model on Cortex-M4F. Table bytes are exact (they are
 * the const arrays of the header); code bytes are constants for the runtime's evaluator,
 * measured with arm-none-eabi-gcc 12.2 -Os as tests/python/test_estimates_calibration.py
 * does: a main that calls predict, linked with --gc-sections, minus an empty main. gcc folds
 * the const model descriptor into the code, so the code constants are what the link adds
 * beyond the tables. estimate/targets.ts scales the code to other cores and adds the C
 * libraries a prediction pulls in (soft float, expf).
 *
 * Each family sizes its own tables and code (Family.size, families/<family>/estimate.ts);
 * this module holds what they share, estimate/model.ts picks the family and adds a feature
 * stage.
 */
export interface SizeItem {
  name: string;
  bytes: number;
}

export interface SizeEstimate {
  target: string;
  flashBytes: number;
  ramBytes: number;
  /** Flash by table, plus the evaluator code. */
  flash: SizeItem[];
  /** Peak stack use of one prediction. */
  ram: SizeItem[];
}

/** 900 -> "900 B", 2764 -> "2.7 KiB", 3.2e6 -> "3.05 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(2)} MiB`;
}

/** Class names in flash: a pointer and the NUL-terminated text of each. */
export function classNamesBytes(classNames: string[]): number {
  return classNames.reduce((sum, c) => sum + 4 + c.length + 1, 0);
}

/** A Cortex-M4F estimate from its items, the empty flash items left out. */
export function m4fEstimate(flash: SizeItem[], ram: SizeItem[]): SizeEstimate {
  const kept = flash.filter(item => item.bytes > 0);
  return {
    target: 'cortex-m4f',
    flashBytes: kept.reduce((sum, item) => sum + item.bytes, 0),
    ramBytes: ram.reduce((sum, item) => sum + item.bytes, 0),
    flash: kept,
    ram
  };
}
