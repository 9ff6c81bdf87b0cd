/**
 * Plotly figure specs for the FeatureView: the signal with its events, the feature matrix
 * with the per-frame device-reference difference, and the event score with its thresholds.
 * Pure functions of a FeatureViewResult, so jest can check them; Plotly renders in the browser.
 */
import { Figure, THEME } from './charts';
import { Event, FeatureParams, FeatureViewResult, eventSpan, sampleTime } from '../core/features/view';

const DEVICE_COLOR = '#1f77b4';
const REFERENCE_COLOR = '#ff7f0e';
/** Points per signal trace: enough for a wide plot, few enough for a minutes-long recording. */
export const MAX_SIGNAL_POINTS = 4000;
const AXIS_NAMES = ['x', 'y', 'z'];

function layout(title: string, height: number, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    height,
    margin: { l: 60, r: 20, t: 40, b: 45 },
    font: { size: 11 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    title: { text: title, font: { size: 13 } },
    legend: { orientation: 'h', y: -0.2 },
    ...extra
  };
}

/**
 * A long series cut down to at most maxPoints points that keep its shape: the minimum and
 * maximum of each bucket, in the order they occur (so a burst stays a burst, not an alias).
 */
export function envelope(
  n: number,
  value: (i: number) => number,
  maxPoints = MAX_SIGNAL_POINTS
): { index: number[]; value: number[] } {
  if (n <= maxPoints) {
    return { index: Array.from({ length: n }, (_, i) => i), value: Array.from({ length: n }, (_, i) => value(i)) };
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const index: number[] = [];
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      lo = value(i) < value(lo) ? i : lo;
      hi = value(i) > value(hi) ? i : hi;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo]) {
      if (index[index.length - 1] !== i) {
        index.push(i);
        out.push(value(i));
      }
    }
  }
  return { index, value: out };
}

/** Shaded bands for events: the device's in the top half of the plot, the reference's below. */
function eventBands(
  events: Event[],
  side: 'device' | 'reference',
  x: (e: Event) => [number, number]
): Array<Record<string, unknown>> {
  const top = side === 'device';
  return events.map(e => {
    const [x0, x1] = x(e);
    return {
      type: 'rect',
      xref: 'x',
      yref: 'paper',
      x0,
      x1,
      y0: top ? 0.5 : 0,
      y1: top ? 1 : 0.5,
      fillcolor: top ? DEVICE_COLOR : REFERENCE_COLOR,
      opacity: 0.18,
      line: { width: 0 },
      layer: 'below'
    };
  });
}

const bandNote = [
  {
    xref: 'paper',
    yref: 'paper',
    x: 1,
    y: 1,
    xanchor: 'right',
    yanchor: 'top',
    showarrow: false,
    text: 'device events',
    font: { color: DEVICE_COLOR }
  },
  {
    xref: 'paper',
    yref: 'paper',
    x: 1,
    y: 0,
    xanchor: 'right',
    yanchor: 'bottom',
    showarrow: false,
    text: 'reference events',
    font: { color: REFERENCE_COLOR }
  }
];

function timeAxisTitle(params: FeatureParams): string {
  return params.sampleRate ? 'time (s)' : 'sample';
}

/** (1) The signal (each axis of an IMU stream), device events shaded above reference events. */
export function signalFigure(result: FeatureViewResult): Figure {
  const { params, signal, nSamples } = result;
  const data = Array.from({ length: params.nAxes }, (_, a) => {
    const trace = envelope(nSamples, i => signal[i * params.nAxes + a]);
    return {
      type: 'scatter',
      mode: 'lines',
      name: params.kind === 'audio' ? 'signal' : params.nAxes === 3 ? AXIS_NAMES[a] : `axis ${a}`,
      x: trace.index.map(i => sampleTime(params, i)),
      y: trace.value,
      line: { width: 1 },
      hoverinfo: 'x+y+name'
    };
  });
  const span = (e: Event): [number, number] => eventSpan(params, e).map(s => sampleTime(params, s)) as [number, number];
  return {
    id: 'feature-signal',
    data,
    layout: layout(
      `Signal and events: ${result.device.events.length} on the device, ${result.reference.events.length} in the reference`,
      260,
      {
        xaxis: { title: { text: timeAxisTitle(params) } },
        yaxis: { title: { text: params.kind === 'audio' ? 'amplitude' : 'value' } },
        shapes: [
          ...eventBands(result.device.events, 'device', span),
          ...eventBands(result.reference.events, 'reference', span)
        ],
        annotations: bandNote,
        showlegend: params.nAxes > 1
      }
    )
  };
}

/** Rows of a row-major [nFrames x width] matrix as a heatmap's z (one row per feature). */
function transpose(
  x: ArrayLike<number>,
  nFrames: number,
  width: number,
  scale?: (k: number, v: number) => number
): number[][] {
  return Array.from({ length: width }, (_, k) =>
    Array.from({ length: nFrames }, (_, r) => (scale ? scale(k, x[r * width + k]) : x[r * width + k]))
  );
}

/**
 * (2) The device's feature matrix (log-mel spectrogram; an IMU's window statistics, each row
 * standardized so that units do not matter: hover shows the value) above the per-frame max
 * |device - reference|.
 */
export function featureMatrixFigure(result: FeatureViewResult): Figure {
  const { params, device, summary } = result;
  const n = params.nFrames;
  const width = summary.feature_width;
  const frames = Array.from({ length: n }, (_, r) => r);
  let heatmap: Record<string, unknown>;
  if (params.kind === 'audio') {
    heatmap = {
      type: 'heatmap',
      x: frames,
      y: result.featureNames.map((_, m) => m),
      z: transpose(device.features, n, width),
      colorscale: 'Viridis',
      colorbar: { title: { text: 'dB' }, len: 0.68, y: 1, yanchor: 'top' },
      hovertemplate: 'frame %{x}, mel %{y}: %{z:.2f} dB<extra></extra>'
    };
  } else {
    const mean = new Float64Array(width);
    const std = new Float64Array(width);
    for (let k = 0; k < width; k++) {
      for (let r = 0; r < n; r++) {
        mean[k] += device.features[r * width + k] / n;
      }
      for (let r = 0; r < n; r++) {
        std[k] += (device.features[r * width + k] - mean[k]) ** 2 / n;
      }
      std[k] = Math.sqrt(std[k]);
    }
    heatmap = {
      type: 'heatmap',
      x: frames,
      y: result.featureNames,
      z: transpose(device.features, n, width, (k, v) => (std[k] > 0 ? (v - mean[k]) / std[k] : 0)),
      customdata: transpose(device.features, n, width),
      colorscale: 'RdBu',
      reversescale: true,
      zmid: 0,
      colorbar: { title: { text: 'z-score' }, len: 0.68, y: 1, yanchor: 'top' },
      hovertemplate: 'window %{x}, %{y}: %{customdata:.4g}<extra></extra>'
    };
  }
  const unit = params.kind === 'audio' ? ' (dB)' : '';
  return {
    id: 'feature-matrix',
    data: [
      heatmap,
      {
        type: 'scatter',
        mode: 'lines',
        name: 'max |device - reference|',
        x: frames,
        y: Array.from(result.frameDiff),
        yaxis: 'y2',
        line: { color: DEVICE_COLOR, width: 1 },
        hovertemplate: 'frame %{x}: %{y:.3g}<extra></extra>'
      }
    ],
    layout: layout(
      `${params.kind === 'audio' ? 'Log-mel spectrogram' : 'Window statistics'} on the device; max |device - reference| ${summary.max_abs_feature_diff.toExponential(2)}${unit}`,
      params.kind === 'audio' ? 380 : 520,
      {
        xaxis: { title: { text: `frame (every ${params.hop} samples)` }, anchor: 'y2' },
        yaxis: { domain: [0.32, 1], title: { text: params.kind === 'audio' ? 'mel band' : '' }, automargin: true },
        yaxis2: { domain: [0, 0.24], title: { text: `|Δ|${unit}` }, rangemode: 'tozero', automargin: true },
        showlegend: false
      }
    )
  };
}

/** (3) The event score, device and reference, raw and median-filtered, with on/off and the events. */
export function scoreFigure(result: FeatureViewResult): Figure {
  const { params, device, reference } = result;
  const frames = Array.from({ length: params.nFrames }, (_, r) => r);
  const line = (name: string, y: ArrayLike<number>, color: string, style: Record<string, unknown>) => ({
    type: 'scatter',
    mode: 'lines',
    name,
    x: frames,
    y: Array.from(y),
    line: { color, ...style }
  });
  const threshold = (value: number, text: string) => ({
    shape: {
      type: 'line',
      xref: 'paper',
      x0: 0,
      x1: 1,
      y0: value,
      y1: value,
      line: { dash: 'dash', width: 1, color: THEME.error }
    },
    note: {
      xref: 'paper',
      x: 0,
      xanchor: 'left',
      y: value,
      yanchor: 'bottom',
      text: `${text} ${value.toPrecision(4)}`,
      showarrow: false,
      font: { color: THEME.error }
    }
  });
  const thresholds = [threshold(params.on, 'on'), threshold(params.off, 'off')];
  const frameBand = (e: Event): [number, number] => [e[0] - 0.5, e[1] - 0.5];
  const filteredName = params.median > 1 ? `median of ${params.median}` : 'filtered (k = 1)';
  return {
    id: 'feature-score',
    data: [
      line(`device ${params.scoreName}`, device.score, DEVICE_COLOR, { width: 1 }),
      line(`reference ${params.scoreName}`, reference.score, REFERENCE_COLOR, { width: 1, dash: 'dot' }),
      line(`device, ${filteredName}`, device.filtered, DEVICE_COLOR, { width: 2.5 }),
      line(`reference, ${filteredName}`, reference.filtered, REFERENCE_COLOR, { width: 2, dash: 'dash' })
    ],
    layout: layout(
      `Event score: ${params.scoreName}, hysteresis on ≥ ${params.on.toPrecision(4)}, off < ${params.off.toPrecision(4)}, at least ${Math.max(1, params.minDuration)} frame(s)`,
      360,
      {
        margin: { l: 60, r: 20, t: 40, b: 85 },
        legend: { orientation: 'h', y: -0.32 }, // below the axis title
        xaxis: { title: { text: `frame (every ${params.hop} samples)` } },
        yaxis: { title: { text: params.scoreName } },
        shapes: [
          ...eventBands(device.events, 'device', frameBand),
          ...eventBands(reference.events, 'reference', frameBand),
          ...thresholds.map(t => t.shape)
        ],
        annotations: [...bandNote, ...thresholds.map(t => t.note)]
      }
    )
  };
}

export function featureViewFigures(result: FeatureViewResult): Figure[] {
  return [signalFigure(result), featureMatrixFigure(result), scoreFigure(result)];
}
