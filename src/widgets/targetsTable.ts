/**
 * The Inspector's per-target table: every target profile (src/core/estimate/targets.ts) against every
 * export option of the current model, with estimated flash, RAM, cycles and whether it fits
 * the profile's part.
 */
import { TARGETS, TargetEstimate, TargetProfile, estimateForTarget } from '../core/estimate/targets';
import { TradeoffPoint } from '../core/tradeoff';
import { formatBytes } from './charts';
import { scrollBox } from './dom';

export interface TargetRow {
  target: string;
  option: string;
  estimate: TargetEstimate;
}

/** One row per target and export option, targets in profile order (all of them unless given). */
export function targetRows(points: TradeoffPoint[], targets: readonly TargetProfile[] = TARGETS): TargetRow[] {
  return targets.flatMap(target =>
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

/** What does not fit, and by how much: "flash 40.1 KiB > 32.0 KiB, RAM 8.1 KiB > 2.0 KiB". */
export function whyNotFit(e: TargetEstimate): string {
  return [
    e.fitsFlash ? '' : `flash ${formatBytes(e.flashBytes)} > ${formatBytes(e.flashBudget)}`,
    e.fitsRam ? '' : `RAM ${formatBytes(e.ramBytes)} > ${formatBytes(e.ramBudget)}`
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * A collapsible table: the current option on every target (highlighted; the chosen target
 * marked), each part that does not fit named with its bytes against the budget; the other
 * options (up to 6 targets x 12) only when asked for.
 */
export function targetsTable(rows: TargetRow[], currentLabel: string, chosenTarget = ''): HTMLElement {
  const box = document.createElement('details');
  box.className = 'tml-targets';
  const summary = document.createElement('summary');
  const current = rows.filter(r => r.option === currentLabel);
  const fitting = current.filter(r => r.estimate.fits).map(r => TARGETS.find(t => t.id === r.target)!.name);
  const notFitting = current
    .filter(r => !r.estimate.fits)
    .map(r => `${TARGETS.find(t => t.id === r.target)!.name}: ${whyNotFit(r.estimate)}`);
  summary.textContent =
    `Per target (estimates): ${currentLabel} fits ${fitting.length} of ${TARGETS.length} ` +
    `target parts${fitting.length ? ` (${fitting.join(', ')})` : ''}` +
    (notFitting.length ? `; not ${notFitting.join('; ')}` : '');
  box.appendChild(summary);
  const table = document.createElement('table');
  table.className = 'tml-targets-table';
  const head = document.createElement('tr');
  for (const title of ['target', 'example part', 'option', 'flash', 'RAM', 'cycles', 'time', 'fits']) {
    head.appendChild(cell('th', title));
  }
  table.appendChild(head);
  // the current option's rows first, target by target; then every other option
  const others = rows.filter(r => r.option !== currentLabel);
  for (const row of [...current, ...others]) {
    const profile = TARGETS.find(t => t.id === row.target)!;
    const e = row.estimate;
    const tr = document.createElement('tr');
    const isCurrent = row.option === currentLabel;
    tr.className = [
      'tml-target',
      isCurrent ? 'tml-selected' : 'tml-other-option',
      isCurrent && row.target === chosenTarget ? 'tml-chosen-target' : ''
    ]
      .filter(Boolean)
      .join(' ');
    tr.hidden = !isCurrent;
    tr.dataset.target = row.target;
    tr.dataset.option = row.option;
    const cells: Array<[string, string]> = [
      [`${profile.name}${profile.fpu ? '' : ' (no FPU)'}`, ''],
      [profile.examplePart, 'tml-target-part'],
      [row.option, ''],
      [formatBytes(e.flashBytes), e.fitsFlash ? '' : 'tml-no-fit'],
      [formatBytes(e.ramBytes), e.fitsRam ? '' : 'tml-no-fit'],
      [cycles(e.cycles), ''],
      [time(e.microseconds), ''],
      [e.fits ? '✓' : `✗ ${whyNotFit(e)}`, e.fits ? 'tml-fits' : 'tml-no-fit']
    ];
    for (const [text, cls] of cells) {
      tr.appendChild(cell('td', text, cls));
    }
    table.appendChild(tr);
  }
  const toggle = document.createElement('label');
  toggle.className = 'tml-targets-all';
  const all = document.createElement('input');
  all.type = 'checkbox';
  all.addEventListener('change', () => {
    table.querySelectorAll<HTMLElement>('tr.tml-other-option').forEach(tr => (tr.hidden = !all.checked));
  });
  toggle.append(all, document.createTextNode(` every option (${others.length} more rows)`));
  box.append(toggle, scrollBox(table));
  return box;
}
