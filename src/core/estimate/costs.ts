/**
 * The unit of every cycle estimate: one prediction's work as Cortex-M4F would execute it,
 * split so that each core can price float operations and library calls its own way
 * (estimate/targets.ts). Families count their own (Family.operations).
 */
export interface OperationCount {
  /** All instructions, float ones included. */
  instructions: number;
  /** Of which float32 arithmetic, compares and conversions. */
  floatOps: number;
  /**
   * Of the float ops, a tree split's compare with its threshold: one VCMP on the M4F, a
   * soft-float compare (a third of an add or multiply) on RV32IMC. Absent: none.
   */
  floatCompares?: number;
  /**
   * Of the float ops, a generated predict's add of a leaf's constant to a sum held in a local
   * (emit.ts fusedPredict): a soft-float add whose operands are mostly near each other, about
   * half an arbitrary add on RV32IMC. Absent: none.
   */
  leafAdds?: number;
  /** expf, powf, floorf-class library calls (counted apart from the instructions). */
  mathCalls: number;
}

/**
 * Cortex-M4F instructions of one expf (newlib, hard float): 62-73 measured when the result is
 * a normal float, about 30 when it underflows.
 */
export const MATH_CALL_INSTRUCTIONS = 65;

/** Float ops of quantizing one feature: multiply, the NaN and range compares, two conversions. */
export const QUANTIZE_FLOAT_OPS = 6;

export const NO_OPERATIONS: OperationCount = { instructions: 0, floatOps: 0, mathCalls: 0 };

export function addOperations(a: OperationCount, b: OperationCount): OperationCount {
  return {
    instructions: a.instructions + b.instructions,
    floatOps: a.floatOps + b.floatOps,
    floatCompares: (a.floatCompares ?? 0) + (b.floatCompares ?? 0),
    mathCalls: a.mathCalls + b.mathCalls
  };
}
