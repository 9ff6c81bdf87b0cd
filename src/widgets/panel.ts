/**
 * The Inspector's DOM: summary, structure and size charts, agreement charts, the table of
 * disagreeing rows and the C header with copy/download/export actions. Independent of
 * ipywidgets (inspector.ts adapts it), so jest can render it under jsdom.
 */
import * as aq from 'arquero';

import type { AgreementReport } from '../core/compile';
import { RUNTIME_BEGIN_MARKER, RUNTIME_END_MARKER } from '../core/emit/frame';
import { TARGETS } from '../core/estimate/profiles';
import { TargetEstimate } from '../core/estimate/targets';
import { inputCount } from '../core/features/stage';
import { CompileOptions, ExportOptions, FeatureType, LeafType, STRATEGIES } from '../core/options';
import { TradeoffSummary } from '../core/tradeoff';
import {
  Figure,
  agreementFigures,
  agreementMeasure,
  formatBytes,
  scoreDistributionFigure,
  sizeFigure,
  tradeoffFigure
} from './charts';
import { element, scrollBox } from './dom';
import {
  DEFAULT_TARGET,
  InspectorComputation,
  InspectorState,
  PanelResult,
  currentLabel,
  nextTask,
  verdictTarget
} from './inspectorCompute';
import { referenceLibrary } from './library';
import { SummaryItem, viewOf } from './families';
import type { ShownModel } from './shownModel';
import { targetsTable } from './targetsTable';

export { DEFAULT_TARGET };
export type { InspectorState, PanelResult };

/** "Export bundle": where, how many test vectors, and whether to run it in QEMU. */
export interface BundleRequest {
  path: string;
  nVectors: number;
  run: boolean;
}

/** "Arduino library": the library's directory and how many test vectors its example runs. */
export interface ArduinoRequest {
  path: string;
  nVectors: number;
}

/** Test vectors in a bundle unless the user asks otherwise (DEFAULT_BUNDLE_VECTORS in widget.py). */
export const DEFAULT_BUNDLE_VECTORS = 40;

export interface PanelCallbacks {
  /** Renders a Plotly figure into a container. */
  plot(container: HTMLElement, figure: Figure): Promise<void> | void;
  /** Removes every figure plot() drew but those in `keep` (the charts a new layout shows again). */
  keepPlots?(keep: Set<HTMLElement>): void;
  /** The user picked another target for the verdict. */
  setTarget?(target: string): void;
  /** The user picked another feature type or code strategy. */
  setOptions(options: Partial<Pick<CompileOptions, 'featureType' | 'strategy' | 'leafType'>>): void;
  /** The user asked the kernel to write the header to a file. */
  exportHeader(path: string): void;
  /** The user asked the kernel to write an export bundle for the current option (and run it). */
  exportBundle(request: BundleRequest): void;
  /** The user asked the kernel to write the Arduino library of the current option. */
  exportArduino(request: ArduinoRequest): void;
  /** The browser measured the agreement (sent back to the kernel). */
  reportAgreement(summary: Record<string, unknown>): void;
}

/** Rows of the header shown before "show all": big forests make megabyte headers. */
const HEADER_PREVIEW_LINES = 400;
const TABLE_ROWS = 50;

function percent(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

/**
 * The header as first shown: the embedded runtime folded to one line (it is the same for
 * every model), then at most HEADER_PREVIEW_LINES lines.
 */
export function previewLines(lines: string[]): string[] {
  const start = lines.findIndex(l => l.startsWith(RUNTIME_BEGIN_MARKER));
  const end = lines.findIndex(l => l.startsWith(RUNTIME_END_MARKER));
  let shown = lines;
  if (start >= 0 && end > start) {
    shown = [
      ...lines.slice(0, start),
      `/* … TinyML Lab runtime (${end - start - 1} lines) folded here: "Show all" shows it … */`,
      ...lines.slice(end + 1)
    ];
  }
  return shown.length > HEADER_PREVIEW_LINES ? [...shown.slice(0, HEADER_PREVIEW_LINES), '…'] : shown;
}

/** "✓ agrees with scikit-learn on 171 of 171 rows (100.00%)", or where and how far it does not. */
export function agreementVerdict(
  report: AgreementReport,
  library: string,
  nRows: number
): { ok: boolean; text: string } {
  if (report.classes) {
    const { nAgree, nRows, rate } = report.classes;
    const ok = nAgree === nRows;
    return {
      ok,
      text: `${ok ? '✓ agrees' : '✗ differs'} with ${library} on ${ok ? nRows : nRows - nAgree} of ${nRows} rows (${percent(rate)} agree)`
    };
  }
  if (report.values) {
    const { maxAbsError, nonFinite } = report.values;
    const ok = nonFinite === 0;
    return {
      ok,
      text: `${ok ? '≈' : '✗'} ${library}'s values within ${maxAbsError.toExponential(2)} on ${nRows} rows${ok ? '' : ` (${nonFinite} not finite)`}`
    };
  }
  return { ok: true, text: `no reference from ${library} to compare with` };
}

/** "✓ fits Cortex-M4F: flash 1.3 KiB of 512 KiB, RAM 48 B of 128 KiB", or what does not fit. */
export function fitVerdict(estimate: TargetEstimate, targetId: string): { ok: boolean; text: string } {
  const profile = TARGETS.find(t => t.id === targetId)!;
  const part = profile.examplePart.split(' (')[0];
  const flash = `flash ${formatBytes(estimate.flashBytes)} ${estimate.fitsFlash ? 'of' : '>'} ${formatBytes(estimate.flashBudget)}`;
  const ram = `RAM ${formatBytes(estimate.ramBytes)} ${estimate.fitsRam ? 'of' : '>'} ${formatBytes(estimate.ramBudget)}`;
  if (estimate.fits) {
    return { ok: true, text: `✓ fits ${profile.name} (${part}): ${flash}, ${ram}` };
  }
  const over = [estimate.fitsFlash ? '' : flash, estimate.fitsRam ? '' : ram].filter(Boolean).join(', ');
  return { ok: false, text: `✗ does not fit ${profile.name} (${part}): ${over}` };
}

/** Where an export goes: a directory on the kernel's machine, `initial` unless the user types another. */
function directoryInput(className: string, initial: string, what: string): HTMLInputElement {
  const path = element('input', className);
  path.value = initial;
  path.title = `${what} directory on the kernel's machine, relative to its working directory`;
  return path;
}

/** A figure as Plotly draws it (its data and layout; a click handler draws nothing). */
function drawnForm(figure: Figure): string {
  return JSON.stringify([figure.data, figure.layout]);
}

/** The box a figure is drawn in (the UI tests find it by its figure id). */
function chartBox(figure: Figure): HTMLElement {
  const box = element('div', `tml-chart tml-chart-${figure.id}`);
  box.dataset.figure = figure.id;
  return box;
}

export class InspectorPanel {
  readonly node: HTMLElement;
  private readonly body: HTMLElement;
  private exportStatus: HTMLElement | null = null;
  /** Kept across renders: the kernel's last export (it names the option it was for). */
  private statusText = '';
  private bundleRunnable = false;
  /** Computes off the page's main thread (a worker, else a piece per task): see inspectorCompute.ts. */
  private readonly computation: InspectorComputation;
  /** Counts renders: a render that a newer one superseded draws nothing more. */
  private renders = 0;
  /**
   * The charts of the last layout, by figure id, with their figure as drawn: the next layout
   * keeps those whose figure is the same (an option switch leaves a forest's structure, and
   * often its agreement, as they were) and removes the others.
   */
  private charts = new Map<string, { box: HTMLElement; drawn: string }>();

  constructor(
    private readonly callbacks: PanelCallbacks,
    computation?: InspectorComputation
  ) {
    this.node = element('div', 'tml-inspector');
    this.body = element('div', 'tml-body');
    this.node.appendChild(this.body);
    this.computation = computation ?? new InspectorComputation();
  }

  /**
   * Rebuilds the whole panel: "computing…" in the verdict line until the results arrive (with
   * the charts sent ahead of them below it), then everything. Returns what it computed, or null
   * after showing an error or when a newer render superseded it.
   */
  async render(state: InspectorState): Promise<PanelResult | null> {
    const render = ++this.renders;
    const stale = () => render !== this.renders;
    // Charts the computer sends ahead (a model's structure and flash) are drawn under "computing…"
    // while it runs every option, once that line shows; the final layout takes them as drawn.
    let earlyFigures: Figure[] | null = null;
    let computingShown = false;
    let early: Promise<Map<string, HTMLElement>> | null = null;
    const startEarly = () => {
      if (earlyFigures && computingShown && !early && !stale()) {
        early = this.drawEarly(earlyFigures, stale);
      }
    };
    const computing = this.computation.compute(state, figures => {
      earlyFigures = figures;
      startEarly();
    });
    // Each its own task: what asked for this render (a click: JupyterLab's focus handling), taking
    // the old panel down, receiving the results (a structured clone), drawing the new one.
    await nextTask();
    if (stale()) {
      computing.catch(() => undefined); // superseded: its result or error is the newer render's concern
      return null;
    }
    this.showComputing();
    computingShown = true;
    startEarly();
    let result: PanelResult | null;
    let drawnEarly: Map<string, HTMLElement>;
    try {
      result = await computing;
      drawnEarly = (await early) ?? new Map<string, HTMLElement>();
    } catch (e) {
      if (!stale()) {
        this.body.replaceChildren();
        this.body.style.minHeight = '';
        this.callbacks.keepPlots?.(new Set());
        this.charts.clear();
        this.showError(e as Error);
      }
      return null;
    }
    if (result !== null) {
      await nextTask();
    }
    if (result === null || stale()) {
      return null;
    }
    const { model, run, report, tradeoffs, reference } = result;
    this.body.replaceChildren();
    this.bundleRunnable = state.bundleRunnable === true;
    const target = verdictTarget(state.target);
    // What a person asks first, then the options, then the details and the charts.
    const unknownTarget =
      state.target && state.target !== target.id
        ? [`unknown target "${state.target}": use one of ${TARGETS.map(t => t.id).join(', ')} (showing ${target.name})`]
        : [];
    this.body.append(
      this.toolbar(model, result.offered),
      this.verdict(model, report, run.nRows, target.id, result.fit),
      ...this.warnings(model, report, unknownTarget)
    );
    this.body.append(scrollBox(this.tradeoffTable(model, tradeoffs)), this.summary(model, report));
    this.body.appendChild(targetsTable(result.targetRows, currentLabel(model), target.id));
    const view = viewOf(model);
    this.body.append(...(view.sections?.(model, result.analysis) ?? []));
    const library = referenceLibrary(model.ir.estimator);

    const figures: Figure[] = [
      ...view.structureFigures(model, result.analysis),
      ...(model.ir.task === 'anomaly' && 'offset' in model.ir
        ? [scoreDistributionFigure(run, reference, model.ir.offset)]
        : []),
      sizeFigure(model.size),
      tradeoffFigure(tradeoffs, currentLabel(model), point => this.select(point), library),
      ...agreementFigures(
        report,
        model.ir.classes.map(String),
        run.values,
        reference.values,
        reference.classes,
        result.valueCount,
        library
      )
    ];
    const grid = element('div', 'tml-charts');
    this.body.appendChild(grid);
    // charts drawn early or by the last layout as they would be drawn now are kept; every other
    // plot goes (with those of renders superseded while they drew)
    const previous = this.charts;
    this.charts = new Map();
    const toDraw: Array<[HTMLElement, Figure, string]> = [];
    for (const figure of figures) {
      const drawn = drawnForm(figure);
      const kept = previous.get(figure.id);
      const drawnBox = drawnEarly.get(figure.id) ?? (kept?.drawn === drawn ? kept.box : undefined);
      const box = drawnBox ?? chartBox(figure);
      if (drawnBox) {
        this.charts.set(figure.id, { box, drawn });
      } else {
        toDraw.push([box, figure, drawn]);
      }
      grid.appendChild(box);
    }
    this.callbacks.keepPlots?.(new Set([...this.charts.values()].map(chart => chart.box)));
    this.body.append(this.disagreementTable(model, result), this.headerView(model));
    this.body.style.minHeight = '';
    // one chart per task: Plotly draws each in tens of milliseconds, all six at once would block the page
    for (const [box, figure, drawn] of toDraw) {
      await nextTask();
      if (stale()) {
        return null;
      }
      await this.callbacks.plot(box, figure);
      this.charts.set(figure.id, { box, drawn });
    }
    this.body.setAttribute('aria-busy', 'false');
    this.callbacks.reportAgreement(this.agreementSummary(model, report));
    return result;
  }

  /**
   * Draws the charts sent ahead of the result below "computing…", one per task, and returns
   * their boxes by figure id (those drawn before the render went stale).
   */
  private async drawEarly(figures: Figure[], stale: () => boolean): Promise<Map<string, HTMLElement>> {
    const grid = element('div', 'tml-charts');
    this.body.appendChild(grid);
    const drawn = new Map<string, HTMLElement>();
    for (const figure of figures) {
      await nextTask();
      if (stale()) {
        break;
      }
      const box = chartBox(figure);
      grid.appendChild(box);
      await this.callbacks.plot(box, figure);
      drawn.set(figure.id, box);
    }
    return drawn;
  }

  /** Stops the computation's worker (the view is gone). */
  dispose(): void {
    this.computation.dispose();
  }

  /**
   * While the results are computed: the verdict line says so, and the panel keeps its height
   * (the notebook does not jump) until they are drawn. Never a verdict of the previous option.
   */
  private showComputing(): void {
    // measured before anything changes: the layout is still clean, reading it costs nothing
    if (this.body.childElementCount > 0) {
      this.body.style.minHeight = `${this.body.offsetHeight}px`;
    }
    // busy until the last chart is drawn (assistive technology waits; so does the Galata test's ready time)
    this.body.setAttribute('aria-busy', 'true');
    const line = element('div', 'tml-verdict tml-verdict-computing');
    line.setAttribute('role', 'status');
    line.setAttribute('aria-busy', 'true');
    line.appendChild(element('span', 'tml-verdict-pending', 'computing… (the model runs on every export option)'));
    this.body.replaceChildren(line);
  }

  setExportStatus(text: string): void {
    this.statusText = text;
    if (this.exportStatus) {
      this.exportStatus.textContent = text;
      // The kernel words its failures "export failed: …" / "bundle failed: …" / "Arduino library failed: …".
      this.exportStatus.classList.toggle(
        'tml-status-error',
        /(^|\n)(export|bundle|Arduino library) failed:/.test(text)
      );
    }
  }

  private showError(error: Error): void {
    this.body.setAttribute('aria-busy', 'false');
    const box = element('div', 'tml-error');
    box.setAttribute('role', 'alert');
    box.append(
      element('strong', '', 'TinyML Lab could not inspect this model: '),
      document.createTextNode(error.message)
    );
    this.body.appendChild(box);
  }

  /**
   * The one line that answers "does it agree, and does it fit my target?": the agreement
   * with the reference library on the user's rows, then flash and RAM of the selected option
   * against the target's budget (what does not fit and by how much), with the target to pick.
   */
  private verdict(
    model: ShownModel,
    report: AgreementReport,
    nRows: number,
    targetId: string,
    estimate: TargetEstimate
  ): HTMLElement {
    const line = element('div', 'tml-verdict');
    line.setAttribute('role', 'status');
    const library = referenceLibrary(model.ir.estimator);
    const agreement = agreementVerdict(report, library, nRows);
    const fit = fitVerdict(estimate, targetId);
    line.classList.add(agreement.ok && fit.ok ? 'tml-verdict-ok' : 'tml-verdict-warn');
    const select = element('select', 'tml-verdict-target');
    select.title = 'the target the verdict and the per-target table answer for';
    for (const profile of TARGETS) {
      const option = element('option', '', profile.name);
      option.value = profile.id;
      option.selected = profile.id === targetId;
      select.appendChild(option);
    }
    select.addEventListener('change', () => this.callbacks.setTarget?.(select.value));
    line.append(
      element('span', `tml-verdict-agreement ${agreement.ok ? 'tml-ok' : 'tml-not-ok'}`, agreement.text),
      element('span', `tml-verdict-fit ${fit.ok ? 'tml-ok' : 'tml-not-ok'}`, fit.text),
      select
    );
    if (model.autoChoice) {
      line.append(element('span', 'tml-verdict-auto', model.autoChoice));
    }
    return line;
  }

  /**
   * What this option may have lost and why (int8 calibration, fixed-point leaves), and device
   * values that came out NaN or infinite: shown right under the summary, never only in a log.
   */
  private warnings(model: ShownModel, report: AgreementReport, extra: string[] = []): HTMLElement[] {
    const lines = [...extra, ...(model.warnings ?? [])];
    if (report.values && report.values.nonFinite > 0) {
      lines.push(
        `the device gave ${report.values.nonFinite} NaN or infinite value(s) on ${report.values.nonFiniteRows.length} ` +
          'row(s) where the reference is finite: float32 sums overflow there'
      );
    }
    if (lines.length === 0) {
      return [];
    }
    const box = element('div', 'tml-warnings');
    box.setAttribute('role', 'status');
    for (const line of lines) {
      box.appendChild(element('div', 'tml-warning', line));
    }
    return [box];
  }

  /** One row per export option: size and agreement on the user's rows, with a switch. */
  private tradeoffTable(model: ShownModel, points: TradeoffSummary[]): HTMLElement {
    const table = element('table', 'tml-tradeoffs');
    const head = element('tr', '');
    const column = viewOf(model).tradeoffColumn;
    for (const title of [
      'option',
      'flash (est.)',
      'RAM (est.)',
      'agreement',
      'max abs error',
      column?.title ?? '',
      ''
    ]) {
      head.appendChild(element('th', '', title));
    }
    table.appendChild(head);
    for (const point of points) {
      const selected = point.label === currentLabel(model);
      const row = element('tr', selected ? 'tml-tradeoff tml-selected' : 'tml-tradeoff');
      row.dataset.option = point.label;
      const measure = agreementMeasure(point.report);
      const cells = [
        point.label,
        formatBytes(point.flashBytes),
        formatBytes(point.ramBytes),
        point.report.classes ? percent(point.report.classes.rate) : `RMSE ${measure.value.toExponential(2)}`,
        point.report.values ? point.report.values.maxAbsError.toExponential(2) : '–',
        column?.value(point) ?? ''
      ];
      for (const text of cells) {
        row.appendChild(element('td', '', text));
      }
      const action = element('td', '');
      if (selected) {
        action.textContent = 'selected';
      } else {
        const use = element('button', 'tml-use jp-Button', 'use');
        use.addEventListener('click', () => this.select(point));
        action.appendChild(use);
      }
      row.appendChild(action);
      table.appendChild(row);
    }
    return table;
  }

  private select(point: TradeoffSummary): void {
    this.callbacks.setOptions({ featureType: point.featureType, strategy: point.strategy, leafType: point.leafType });
  }

  private toolbar(model: ShownModel, offered: ExportOptions): HTMLElement {
    const bar = element('div', 'tml-toolbar');
    // A family with one code form names its numbers in the title; one with several, its form.
    const severalForms = offered.strategies.length > 1;
    const form = severalForms ? model.strategy : model.options.featureType;
    bar.appendChild(
      element('span', 'tml-title', `${model.ir.estimator.split('.').pop()} → C (${model.options.name}.h, ${form})`)
    );
    const choices: Array<[string, string, string[], string, (v: string) => void]> = [
      [
        viewOf(model).numbersLabel,
        'tml-dtype',
        offered.featureTypes,
        model.options.featureType,
        v => this.callbacks.setOptions({ featureType: v as FeatureType })
      ]
    ];
    if (severalForms) {
      choices.push([
        'code ',
        'tml-strategy',
        STRATEGIES,
        model.options.strategy,
        v => this.callbacks.setOptions({ strategy: v as CompileOptions['strategy'] })
      ]);
    }
    if (offered.leafTypes.length > 1) {
      choices.push([
        'leaves ',
        'tml-leaves',
        offered.leafTypes,
        model.options.leafType,
        v => this.callbacks.setOptions({ leafType: v as LeafType })
      ]);
    }
    for (const [text, cls, values, current, onChange] of choices) {
      const label = element('label', `${cls}-label`, text);
      const select = element('select', cls);
      for (const value of values) {
        const option = element('option', '', value);
        option.value = value;
        option.selected = value === current;
        select.appendChild(option);
      }
      select.addEventListener('change', () => onChange(select.value));
      label.appendChild(select);
      bar.appendChild(label);
    }
    return bar;
  }

  private summary(model: ShownModel, report: AgreementReport): HTMLElement {
    const box = element('div', 'tml-summary');
    const view = viewOf(model);
    const items: SummaryItem[] = view.summary(model);
    const sizedOn = TARGETS.find(t => t.id === model.size.target)?.name ?? model.size.target;
    items.push(
      [`flash on ${sizedOn} (est.)`, formatBytes(model.size.flashBytes), 'tml-stat-flash'],
      [`RAM on ${sizedOn} (est.)`, formatBytes(model.size.ramBytes), 'tml-stat-ram']
    );
    const library = referenceLibrary(model.ir.estimator);
    if (report.classes) {
      items.push([
        `agreement with ${library}`,
        `${percent(report.classes.rate)} (${report.classes.nAgree}/${report.classes.nRows})`,
        'tml-stat-agreement'
      ]);
      if (report.classes.deviceAccuracy !== null) {
        items.push(['device accuracy', percent(report.classes.deviceAccuracy), 'tml-stat-accuracy']);
      }
    }
    const missing = report.missing;
    if (missing?.classes) {
      const agreeing = `${missing.classes.nAgree}/${missing.nRows}`;
      items.push(['rows with NaN: agreement', `${percent(missing.classes.rate)} (${agreeing})`, 'tml-stat-missing']);
    } else if (missing?.values) {
      const error = `${missing.values.maxAbsError.toExponential(2)} on ${missing.nRows} rows`;
      items.push(['rows with NaN: max abs error', error, 'tml-stat-missing']);
    }
    items.push(...(view.quantizationSummary?.(model, report) ?? []));
    if (report.values) {
      items.push(['max abs error', report.values.maxAbsError.toExponential(2), 'tml-stat-maxerr']);
    }
    for (const [name, value, cls] of items) {
      const stat = element('div', `tml-stat ${cls}`);
      stat.append(element('div', 'tml-stat-value', value), element('div', 'tml-stat-name', name));
      box.appendChild(stat);
    }
    return box;
  }

  /** Rows where the device and scikit-learn disagree, as an arquero table. */
  private disagreementTable(model: ShownModel, { run, report, x, reference }: PanelResult): HTMLElement {
    const box = element('div', 'tml-disagreements');
    const rows = report.classes?.disagreeing ?? [];
    box.appendChild(element('h4', '', `Rows where the device disagrees (${rows.length})`));
    if (rows.length === 0) {
      box.appendChild(
        element(
          'p',
          'tml-none',
          `None: the C runtime gives ${referenceLibrary(model.ir.estimator)}'s answer on every row.`
        )
      );
      return box;
    }
    const names = model.ir.classes.map(String);
    const referenceClasses = reference.classes as Int32Array; // disagreements need them
    const nF = inputCount(model.ir);
    const columns: Record<string, unknown[]> = {
      row: rows,
      reference: rows.map(r => names[referenceClasses[r]] ?? '?'),
      device: rows.map(r => names[run.classes[r]] ?? '?')
    };
    const shown = Math.min(nF, 8);
    for (let f = 0; f < shown; f++) {
      columns[model.ir.featureNames[f] ?? `x${f}`] = rows.map(r => x[r * nF + f]);
    }
    const table = aq.table(columns);
    const html = element('div', 'tml-table');
    html.innerHTML = table.toHTML({ limit: TABLE_ROWS });
    box.appendChild(html);
    return box;
  }

  private headerView(model: ShownModel): HTMLElement {
    const box = element('div', 'tml-header');
    const lines = model.header.split('\n');
    const title = element(
      'h4',
      '',
      `C header: ${model.options.name}.h (${formatBytes(model.header.length)}, ${lines.length} lines)`
    );
    const actions = element('div', 'tml-actions');
    const copy = element('button', 'tml-copy jp-Button', 'Copy');
    copy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(model.header).then(
        () => this.setExportStatus('copied to the clipboard'),
        () => this.setExportStatus('the browser refused clipboard access')
      );
    });
    const download = element('button', 'tml-download jp-Button', 'Download');
    download.addEventListener('click', () => {
      const url = URL.createObjectURL(new Blob([model.header], { type: 'text/x-c' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${model.options.name}.h`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
    const path = element('input', 'tml-export-path');
    path.value = `${model.options.name}.h`;
    path.title = "path on the kernel's machine, relative to its working directory";
    const exportButton = element('button', 'tml-export jp-Button', 'Export');
    exportButton.addEventListener('click', () => this.callbacks.exportHeader(path.value));
    actions.append(copy, download, path, exportButton);
    const vectors = this.vectorsInput();
    const bundleActions = this.bundleActions(model, vectors);
    const arduinoActions = this.arduinoActions(model, vectors);
    // Its own line: a bundle's status lists files and the harness's lines.
    this.exportStatus = element('div', 'tml-export-status');
    this.exportStatus.setAttribute('role', 'status');
    this.setExportStatus(this.statusText);

    const pre = element('pre', 'tml-code');
    const shown = previewLines(lines);
    const preview = shown.length < lines.length;
    pre.textContent = preview ? shown.join('\n') : model.header;
    box.append(title, actions, bundleActions, arduinoActions, this.exportStatus, pre);
    if (preview) {
      const more = element('button', 'tml-show-all jp-Button', `Show all ${lines.length} lines`);
      more.addEventListener('click', () => {
        pre.textContent = model.header;
        more.remove();
      });
      box.appendChild(more);
    }
    return box;
  }

  /** How many test vectors a bundle or an Arduino library's example runs (one field for both). */
  private vectorsInput(): HTMLInputElement {
    const vectors = element('input', 'tml-bundle-vectors');
    vectors.type = 'number';
    vectors.min = '1';
    vectors.step = '1';
    vectors.value = String(DEFAULT_BUNDLE_VECTORS);
    vectors.title =
      "test vectors of the bundle and the Arduino example: up to this many of the widget's test rows, spread evenly";
    return vectors;
  }

  /** The vector count asked for, or null after saying why it is not one (`what` names the action). */
  private vectorCount(vectors: HTMLInputElement, what: string): number | null {
    const nVectors = Number(vectors.value);
    if (!Number.isInteger(nVectors) || nVectors < 1) {
      this.setExportStatus(`${what} failed: vectors must be a whole number of at least 1, got "${vectors.value}"`);
      return null;
    }
    return nVectors;
  }

  /** Bundle directory, vector count, "Export bundle" and (toolchain permitting) "run in QEMU". */
  private bundleActions(model: ShownModel, vectors: HTMLInputElement): HTMLElement {
    const bar = element('div', 'tml-actions tml-bundle-actions');
    const path = directoryInput('tml-bundle-path', `${model.options.name}_bundle`, 'bundle');
    const vectorsLabel = element('label', 'tml-bundle-vectors-label', 'vectors ');
    vectorsLabel.appendChild(vectors);
    const runLabel = element('label', 'tml-bundle-run-label');
    const run = element('input', 'tml-bundle-run');
    run.type = 'checkbox';
    run.disabled = !this.bundleRunnable;
    runLabel.title = this.bundleRunnable
      ? 'build it with arm-none-eabi-gcc and run it in qemu-system-arm -M mps2-an386 (a few seconds)'
      : "needs qemu-system-arm and arm-none-eabi-gcc on the kernel's PATH";
    runLabel.append(run, document.createTextNode(' run on emulated Cortex-M4F'));
    const button = element('button', 'tml-export-bundle jp-Button', 'Export bundle');
    button.title = `header, test vectors, C harness, target glue and Makefile for ${currentLabel(model)}`;
    button.addEventListener('click', () => {
      const nVectors = this.vectorCount(vectors, 'bundle');
      if (nVectors === null) {
        return;
      }
      const wantRun = run.checked && this.bundleRunnable;
      this.setExportStatus(
        `writing ${path.value || `${model.options.name}_bundle`}${wantRun ? ' and running it in QEMU' : ''}…`
      );
      this.callbacks.exportBundle({ path: path.value, nVectors, run: wantRun });
    });
    bar.append(path, vectorsLabel, button, runLabel);
    return bar;
  }

  /** Library directory and "Arduino library": tinyml_lab.export_arduino for the current option. */
  private arduinoActions(model: ShownModel, vectors: HTMLInputElement): HTMLElement {
    const bar = element('div', 'tml-actions tml-arduino-actions');
    const path = directoryInput('tml-arduino-path', `${model.options.name}_arduino`, 'Arduino library');
    const button = element('button', 'tml-export-arduino jp-Button', 'Arduino library');
    button.title =
      `library.properties, src/${model.options.name}.h and an example sketch that runs the test vectors ` +
      `(the vectors count above) and prints PASS over Serial, for ${currentLabel(model)}`;
    button.addEventListener('click', () => {
      const nVectors = this.vectorCount(vectors, 'Arduino library');
      if (nVectors === null) {
        return;
      }
      this.setExportStatus(`writing the Arduino library ${path.value || `${model.options.name}_arduino`}…`);
      this.callbacks.exportArduino({ path: path.value, nVectors });
    });
    bar.append(path, button);
    return bar;
  }

  private agreementSummary(model: ShownModel, report: AgreementReport): Record<string, unknown> {
    return {
      feature_type: model.options.featureType,
      strategy: model.strategy,
      leaf_type: model.options.leafType,
      n_rows: report.classes?.nRows ?? null,
      label_agreement: report.classes?.rate ?? null,
      disagreeing_rows: report.classes?.disagreeing ?? [],
      confusion: report.classes?.confusion ?? null,
      device_accuracy: report.classes?.deviceAccuracy ?? null,
      max_abs_error: report.values?.maxAbsError ?? null,
      rmse: report.values?.rmse ?? null,
      rows_with_routing_changes: report.rowsWithRoutingChanges,
      flash_bytes: model.size.flashBytes,
      ram_bytes: model.size.ramBytes
    };
  }
}
