/**
 * The FeatureView's DOM: a title line with the parameters, summary figures (feature, score
 * and event differences), the three charts and a table of the events that differ.
 * Independent of ipywidgets (featureView.ts adapts it), so jest can render it under jsdom.
 */
import { Figure } from './charts';
import { featureViewFigures } from './featureCharts';
import {
  Event,
  EventDifference,
  FeatureParams,
  FeatureViewResult,
  FeatureViewState,
  deviceTrait,
  eventSpan,
  runFeatureView,
  sampleTime
} from '../core/features/view';
import { element } from './dom';

export interface FeaturePanelCallbacks {
  /** Renders a Plotly figure into a container. */
  plot(container: HTMLElement, figure: Figure): Promise<void> | void;
  /** The device's results and the comparison, for the kernel's `device` trait. */
  reportDevice(device: Record<string, unknown>): void;
}

/** Rows of the differing-events table shown; the summary counts all of them. */
const TABLE_ROWS = 100;

/** "3.2e-4" for small differences, so that a float32 rounding does not read as zero. */
function diff(value: number | null, unit = ''): string {
  if (value === null) {
    return '–';
  }
  return value === 0 ? `0${unit}` : `${value.toExponential(2)}${unit}`;
}

/** What an event difference is, in words. */
export function describeDifference(d: EventDifference): string {
  if (d.device && d.reference) {
    const parts = [];
    if (d.device[0] !== d.reference[0]) {
      parts.push(`onset ${d.device[0] - d.reference[0] > 0 ? '+' : ''}${d.device[0] - d.reference[0]}`);
    }
    if (d.device[1] !== d.reference[1]) {
      parts.push(`offset ${d.device[1] - d.reference[1] > 0 ? '+' : ''}${d.device[1] - d.reference[1]}`);
    }
    return `moved (${parts.join(', ')} frames)`;
  }
  return d.device ? 'only on the device' : 'only in the reference';
}

function paramsLine(p: FeatureParams): string {
  const rate = p.sampleRate ? `${p.sampleRate} Hz, ` : '';
  const framing =
    p.kind === 'audio'
      ? `${rate}n_fft ${p.nFft} (${p.fftWindow}), hop ${p.hop}, ${p.nMels} mel bands${p.nMfcc ? `, ${p.nMfcc} MFCCs` : ''}`
      : `${rate}${p.nAxes} axes, windows of ${p.frameLength} every ${p.hop}`;
  return `${p.kind === 'audio' ? 'Audio' : 'IMU'}: ${framing}; ${p.nFrames} frames`;
}

export class FeatureViewPanel {
  readonly node: HTMLElement;
  private readonly body: HTMLElement;

  constructor(private readonly callbacks: FeaturePanelCallbacks) {
    this.node = element('div', 'tml-inspector tml-feature-view');
    this.body = element('div', 'tml-body');
    this.node.appendChild(this.body);
  }

  /** Rebuilds the panel; returns what it computed, or null after showing an error. */
  async render(state: FeatureViewState): Promise<FeatureViewResult | null> {
    this.body.replaceChildren();
    let result: FeatureViewResult;
    try {
      result = runFeatureView(state);
    } catch (e) {
      this.showError(e as Error);
      return null;
    }
    const title = element('div', 'tml-toolbar');
    title.append(
      element('span', 'tml-title', 'Features: device (C runtime, WebAssembly) vs reference (float64)'),
      element('span', 'tml-feature-params', paramsLine(result.params))
    );
    this.body.append(title, this.summary(result));
    const charts = element('div', 'tml-feature-charts');
    this.body.appendChild(charts);
    const plots = featureViewFigures(result).map(figure => {
      const box = element('div', `tml-chart tml-chart-${figure.id}`);
      box.dataset.figure = figure.id;
      charts.appendChild(box);
      return this.callbacks.plot(box, figure);
    });
    this.body.appendChild(this.eventTable(result));
    await Promise.all(plots);
    this.callbacks.reportDevice(deviceTrait(result));
    return result;
  }

  private showError(error: Error): void {
    const box = element('div', 'tml-error');
    box.setAttribute('role', 'alert');
    box.append(
      element('strong', '', 'TinyML Lab could not compute the features: '),
      document.createTextNode(error.message)
    );
    this.body.appendChild(box);
  }

  private summary({ params, summary }: FeatureViewResult): HTMLElement {
    const box = element('div', 'tml-summary');
    const unit = params.kind === 'audio' ? ' dB' : '';
    const items: Array<[string, string, string]> = [
      ['frames', String(summary.n_frames), 'tml-stat-frames'],
      [
        params.kind === 'audio' ? 'max |Δ| log-mel' : 'max |Δ| statistic',
        diff(summary.max_abs_feature_diff, unit),
        'tml-stat-feature-diff'
      ]
    ];
    if (summary.max_abs_mfcc_diff !== null) {
      items.push(['max |Δ| MFCC', diff(summary.max_abs_mfcc_diff), 'tml-stat-mfcc-diff']);
    }
    if (summary.zero_crossing_mismatches !== null) {
      items.push(['zero-crossing counts that differ', String(summary.zero_crossing_mismatches), 'tml-stat-crossings']);
    }
    items.push(
      [`max |Δ| ${params.scoreName}`, diff(summary.max_abs_score_diff), 'tml-stat-score-diff'],
      ['events device / reference', `${summary.device_events} / ${summary.reference_events}`, 'tml-stat-events'],
      ['events that differ', String(summary.differing_events.length), 'tml-stat-differing']
    );
    for (const [name, value, cls] of items) {
      const stat = element('div', `tml-stat ${cls}`);
      stat.append(element('div', 'tml-stat-value', value), element('div', 'tml-stat-name', name));
      box.appendChild(stat);
    }
    if (summary.differing_events.length > 0) {
      box.classList.add('tml-feature-mismatch');
    }
    return box;
  }

  /** The events that differ: frames on both sides, where they are in the signal, and how they differ. */
  private eventTable({ params, summary }: FeatureViewResult): HTMLElement {
    const box = element('div', 'tml-feature-events');
    const rows = summary.differing_events;
    box.appendChild(element('h4', '', `Events that differ (${rows.length})`));
    if (rows.length === 0) {
      box.appendChild(
        element(
          'p',
          'tml-none',
          `None: the device finds the reference's ${summary.reference_events} event(s), frame for frame.`
        )
      );
      return box;
    }
    const table = element('table', 'tml-feature-event-table');
    const head = element('tr', '');
    for (const t of [
      'device frames',
      'reference frames',
      `starts at (${params.sampleRate ? 's' : 'sample'})`,
      'difference'
    ]) {
      head.appendChild(element('th', '', t));
    }
    table.appendChild(head);
    const frames = (e: Event | null) => (e ? `${e[0]}–${e[1]}` : '–');
    for (const d of rows.slice(0, TABLE_ROWS)) {
      const row = element('tr', 'tml-feature-event');
      const first = (d.reference ?? d.device) as Event;
      const start = sampleTime(params, eventSpan(params, first)[0]);
      for (const text of [
        frames(d.device),
        frames(d.reference),
        params.sampleRate ? start.toFixed(3) : String(start),
        describeDifference(d)
      ]) {
        row.appendChild(element('td', '', text));
      }
      table.appendChild(row);
    }
    box.appendChild(table);
    if (rows.length > TABLE_ROWS) {
      box.appendChild(
        element('p', 'tml-none', `… and ${rows.length - TABLE_ROWS} more (FeatureView.summary lists all).`)
      );
    }
    return box;
  }
}
