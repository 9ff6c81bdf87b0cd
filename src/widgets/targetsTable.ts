/**
 * The Inspector's per-target table: every target profile (src/core/estimate/targets.ts) against every
 * export option of the current model, with estimated flash, RAM, cycles and whether it fits
 * the profile's part.
 */
import { TARGETS, TargetEstimate, estimateForTarget } from '../core/estimate/targets';
import { TradeoffPoint } from '../core/tradeoff';
import { formatBytes } from './charts';
import { scrollBox } from './dom';

export interface TargetRow {
  target: string;
  option: string;
  estimate: TargetEstimate;
}

/** One row per target and export option, targets in profile order. */
export function targetRows(points: TradeoffPoint[]): TargetRow[] {
  return TARGETS.flatMap(target =>
    points.map(point => ({
      target: target.id,
      option: point.label,
      estimate: estimateForTarget(point.model, target, { strategy: point.strategy })
    }))
  );
}

function cell(tag: 'td' | 'th', text: string, className = ''): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) {
    el.className = className;
  }
  return el;
}

function cycles(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)} k` : String(n);
}

function time(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(us < 10 ? 2 : 0)} µs`;
}

/** A collapsible table (it has up to 6 targets x 12 options); the current option is marked. */
export function targetsTable(points: TradeoffPoint[], currentLabel: string): HTMLElement {
  const box = document.createElement('details');
  box.className = 'tml-targets';
  const summary = document.createElement('summary');
  const rows = targetRows(points);
  const fitting = TARGETS.filter(t =>
    rows.some(r => r.target === t.id && r.option === currentLabel && r.estimate.fits)
  );
  summary.textContent =
    `Per target (estimates): the current option fits ${fitting.length} of ${TARGETS.length} ` +
    `target parts${fitting.length ? ` (${fitting.map(t => t.name).join(', ')})` : ''}`;
  box.appendChild(summary);
  const table = document.createElement('table');
  table.className = 'tml-targets-table';
  const head = document.createElement('tr');
  for (const title of ['target', 'example part', 'option', 'flash', 'RAM', 'cycles', 'time', 'fits']) {
    head.appendChild(cell('th', title));
  }
  table.appendChild(head);
  for (const row of rows) {
    const profile = TARGETS.find(t => t.id === row.target)!;
    const e = row.estimate;
    const tr = document.createElement('tr');
    tr.className = row.option === currentLabel ? 'tml-target tml-selected' : 'tml-target';
    tr.dataset.target = row.target;
    tr.dataset.option = row.option;
    const why = [
      !e.fitsFlash ? `flash > ${formatBytes(e.flashBudget)}` : '',
      !e.fitsRam ? `RAM > ${formatBytes(e.ramBudget)}` : ''
    ]
      .filter(Boolean)
      .join(', ');
    const cells: Array<[string, string]> = [
      [`${profile.name}${profile.fpu ? '' : ' (no FPU)'}`, ''],
      [profile.examplePart, 'tml-target-part'],
      [row.option, ''],
      [formatBytes(e.flashBytes), ''],
      [formatBytes(e.ramBytes), ''],
      [cycles(e.cycles), ''],
      [time(e.microseconds), ''],
      [e.fits ? '✓' : `✗ ${why}`, e.fits ? 'tml-fits' : 'tml-no-fit']
    ];
    for (const [text, cls] of cells) {
      tr.appendChild(cell('td', text, cls));
    }
    table.appendChild(tr);
  }
  box.appendChild(scrollBox(table));
  return box;
}
