/**
 * What the Inspector shows of a model that depends on its family: summary cards, structure
 * figures, extra sections (a network's layer table), the label of its number choice and the
 * family's column of the trade-off table. One FamilyView per family (this folder), looked up
 * by viewOf; panel.ts lays them out and never asks which family a model is.
 */
import type { AgreementReport, CompiledModel } from '../../core/compile';
import type { TradeoffPoint, TradeoffSummary } from '../../core/tradeoff';
import type { Figure } from '../charts';
import type { ShownModel } from '../shownModel';

/** A summary card: its label, its value and a CSS class the UI tests find it by. */
export type SummaryItem = [name: string, value: string, className: string];

/** What a view may compute once per render from every option's run (a network's layer ranges). */
export interface FamilyAnalysis {
  tradeoffs: TradeoffPoint[];
  x: Float32Array;
  nRows: number;
}

export interface FamilyView<Extra = unknown> {
  /** The core family's id (its `family` value). */
  readonly family: string;
  /** Label of the numbers choice: "features " for trees (only features are quantized), else "numbers ". */
  readonly numbersLabel: string;
  /** Computed once per render (where the whole model is), handed to figures and sections. */
  analyse?(model: CompiledModel, input: FamilyAnalysis): Extra;
  /** Cards in front of the size and agreement ones. */
  summary(model: ShownModel): SummaryItem[];
  /** Cards after the agreement ones: what quantization changed. */
  quantizationSummary?(model: ShownModel, report: AgreementReport): SummaryItem[];
  /** Figures of the model's structure. */
  structureFigures(model: ShownModel, extra: Extra): Figure[];
  /** Sections after the per-target table. */
  sections?(model: ShownModel, extra: Extra): HTMLElement[];
  /** The family's own column of the trade-off table. */
  tradeoffColumn?: { title: string; value(point: TradeoffSummary): string };
}
