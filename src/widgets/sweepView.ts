/**
 * ipywidgets view of a sweep (tinyml_lab.sweep_view.SweepView, same class names): the Pareto
 * chart of flash against the sweep's metric, and a table of every point. The kernel computes
 * everything; the browser only draws.
 */
import { DOMWidgetModel, DOMWidgetView, ISerializers } from '@jupyter-widgets/base';

import { MODULE_NAME, MODULE_VERSION } from '../version';
import { Figure, THEME, formatBytes, layout } from './charts';
import { scrollBox } from './dom';
import { Plots } from './plotly';

/** One point as tinyml_lab.sweep.SweepResult.to_records() writes it. */
export interface SweepRecord {
  label: string;
  flash_bytes: number | null;
  ram_bytes: number | null;
  cycles: number | null;
  microseconds: number | null;
  fits: boolean;
  on_front: boolean;
  agreement: number | null;
  accuracy: number | null;
  rmse: number | null;
  error: string | null;
}

export interface SweepState {
  points: SweepRecord[];
  metric: 'accuracy' | 'agreement' | 'rmse';
  target: string;
  flash_budget: number;
  ram_budget: number;
}

/** Flash against the metric: points that fit, points that do not, the front as a line. */
export function sweepFigure(state: SweepState): Figure {
  const ok = state.points.filter(p => p.error === null && p.flash_bytes !== null && p[state.metric] !== null);
  const trace = (points: SweepRecord[], name: string, extra: Record<string, unknown>) => ({
    type: 'scatter',
    name,
    x: points.map(p => p.flash_bytes),
    y: points.map(p => p[state.metric]),
    text: points.map(p => p.label),
    hovertemplate: '%{text}<br>%{x} B flash<br>%{y}<extra></extra>',
    ...extra
  });
  const flash = ok.map(p => p.flash_bytes as number);
  const lo = Math.min(...flash);
  const hi = Math.max(...flash);
  const pad = Math.max(0.08 * (hi - lo), 0.02 * hi, 1);
  const budgetShown = state.flash_budget <= hi + pad;
  const front = ok.filter(p => p.on_front).sort((a, b) => (a.flash_bytes as number) - (b.flash_bytes as number));
  return {
    id: 'sweep',
    data: [
      trace(
        ok.filter(p => p.fits),
        'fits',
        { mode: 'markers', marker: { size: 8 } }
      ),
      trace(
        ok.filter(p => !p.fits),
        'does not fit',
        { mode: 'markers', marker: { size: 8, symbol: 'x', color: THEME.muted } }
      ),
      trace(front, 'Pareto front', { mode: 'lines+markers', line: { shape: 'hv' }, marker: { size: 10 } })
    ],
    layout: layout(
      `${state.target}: flash vs ${state.metric}`,
      {
        height: 360,
        xaxis: { title: { text: 'flash (bytes, estimated)' }, range: ok.length > 0 ? [lo - pad, hi + pad] : undefined },
        yaxis: { title: { text: state.metric } },
        // the budget line where it falls on the points' range (a budget far to the right
        // would squeeze every point into the left edge); the subtitle names it either way
        shapes: budgetShown
          ? [
              {
                type: 'line',
                x0: state.flash_budget,
                x1: state.flash_budget,
                yref: 'paper',
                y0: 0,
                y1: 1,
                line: { dash: 'dot', color: THEME.error }
              }
            ]
          : [],
        legend: { orientation: 'h', x: 0, xanchor: 'left', yref: 'container', y: 0, yanchor: 'bottom' },
        margin: { l: 60, r: 20, t: 80, b: 90 }
      },
      `budget ${formatBytes(state.flash_budget)} flash, ${formatBytes(state.ram_budget)} RAM` +
        (budgetShown ? ' (dotted line)' : '')
    )
  };
}

function cell(tag: 'td' | 'th', text: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

/** Every point: front first, then by flash; errors say why a point has no figures. */
export function sweepTable(state: SweepState): HTMLElement {
  const table = document.createElement('table');
  table.className = 'tml-sweep-table';
  const head = document.createElement('tr');
  for (const t of ['model · option', 'flash', 'RAM', 'cycles', 'time', 'fits', state.metric, 'front']) {
    head.appendChild(cell('th', t));
  }
  table.appendChild(head);
  const order = [...state.points].sort(
    (a, b) => Number(b.on_front) - Number(a.on_front) || (a.flash_bytes ?? Infinity) - (b.flash_bytes ?? Infinity)
  );
  for (const p of order) {
    const tr = document.createElement('tr');
    tr.className = p.on_front ? 'tml-sweep-point tml-front' : 'tml-sweep-point';
    const value = p[state.metric];
    const cells = p.error
      ? [p.label, `error: ${p.error}`, '', '', '', '✗', '', '']
      : [
          p.label,
          formatBytes(p.flash_bytes ?? 0),
          formatBytes(p.ram_bytes ?? 0),
          String(p.cycles ?? ''),
          p.microseconds !== null ? `${p.microseconds.toFixed(1)} µs` : '',
          p.fits ? '✓' : '✗',
          value === null ? '–' : state.metric === 'rmse' ? value.toPrecision(4) : `${(value * 100).toFixed(2)}%`,
          p.on_front ? '★' : ''
        ];
    cells.forEach(text => tr.appendChild(cell('td', text)));
    table.appendChild(tr);
  }
  return table;
}

export class SweepModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: SweepModel.model_name,
      _model_module: SweepModel.model_module,
      _model_module_version: SweepModel.model_module_version,
      _view_name: SweepModel.view_name,
      _view_module: SweepModel.view_module,
      _view_module_version: SweepModel.view_module_version,
      points: [],
      metric: 'accuracy',
      target: '',
      flash_budget: 0,
      ram_budget: 0
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers };

  static model_name = 'SweepModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'SweepView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

export class SweepView extends DOMWidgetView {
  private readonly plots = new Plots();

  render(): void {
    this.el.classList.add('tml-sweep');
    this.listenTo(this.model, 'change', () => void this.draw());
    void this.draw();
  }

  private async draw(): Promise<void> {
    const state: SweepState = {
      points: this.model.get('points'),
      metric: this.model.get('metric'),
      target: this.model.get('target'),
      flash_budget: this.model.get('flash_budget'),
      ram_budget: this.model.get('ram_budget')
    };
    const chart = document.createElement('div');
    chart.className = 'tml-chart tml-chart-sweep';
    chart.dataset.figure = 'sweep';
    this.plots.purge();
    this.el.replaceChildren(chart, scrollBox(sweepTable(state)));
    await this.plots.draw(chart, sweepFigure(state));
  }

  remove(): void {
    this.plots.dispose();
    super.remove();
  }
}
