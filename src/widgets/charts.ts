/**
 * Plotly figure specs for the Inspector. Pure functions of the compiled model and the
 * device run, so jest can check them; Plotly itself renders only in the browser. Each
 * family's structure figures are in families/<family>.ts.
 */
import { AgreementReport, DeviceRun } from '../core/compile';
import { SizeEstimate } from '../core/estimate/size';
import { TradeoffPoint } from '../core/tradeoff';

export interface Figure {
  /** Stable id, used as a CSS hook and by the UI tests. */
  id: string;
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  /** Called with the index of a clicked point (of the first trace). */
  onPointClick?: (index: number) => void;
}

/**
 * JupyterLab's theme colours, as CSS variables: figure specs name them and plotFigure puts in
 * their values where it draws (Plotly takes no var()), again when the user changes the theme.
 */
export const THEME = {
  text: 'var(--jp-ui-font-color1)',
  muted: 'var(--jp-ui-font-color2)',
  grid: 'var(--jp-border-color2)',
  axis: 'var(--jp-border-color1)',
  background: 'var(--jp-layout-color0)',
  highlight: 'var(--jp-layout-color2)'
};

/** Text, axis and legend colours of every figure that sets none of its own (a Plotly template). */
export const THEME_TEMPLATE = {
  layout: {
    font: { color: THEME.text },
    xaxis: { gridcolor: THEME.grid, linecolor: THEME.axis, zerolinecolor: THEME.axis, tickcolor: THEME.axis },
    yaxis: { gridcolor: THEME.grid, linecolor: THEME.axis, zerolinecolor: THEME.axis, tickcolor: THEME.axis },
    legend: { font: { color: THEME.text } }
  }
};

const BASE_LAYOUT = {
  height: 260,
  margin: { l: 55, r: 15, t: 40, b: 45 },
  font: { size: 11 },
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: 'rgba(0,0,0,0)'
};

/** A figure's layout: the shared size, margins and font, its title (and a smaller subtitle line). */
export function layout(title: string, extra: Record<string, unknown>, subtitle?: string): Record<string, unknown> {
  const text = { text: title, font: { size: 13 } };
  return {
    ...BASE_LAYOUT,
    title: subtitle === undefined ? text : { ...text, subtitle: { text: subtitle, font: { size: 11 } } },
    ...extra
  };
}

/**
 * An anomaly detector's score_samples on the user's rows, as the device computes them, for
 * the rows scikit-learn calls normal and those it calls outliers, with the threshold
 * (offset_): rows left of it are outliers on the device. The reference's scores are drawn
 * as an outline, so what quantization moves shows as a shift between the two.
 */
export function scoreDistributionFigure(
  run: DeviceRun,
  reference: { values: ArrayLike<number> | null; classes: ArrayLike<number> | null },
  offset: number
): Figure {
  const device = Array.from(run.values);
  const outlier = (r: number): boolean => (reference.classes ? reference.classes[r] === 0 : run.classes[r] === 0);
  const rows = device.map((_, r) => r);
  const data: Array<Record<string, unknown>> = [
    {
      type: 'histogram',
      name: 'normal rows (device)',
      x: rows.filter(r => !outlier(r)).map(r => device[r]),
      opacity: 0.6
    },
    { type: 'histogram', name: 'outliers (device)', x: rows.filter(outlier).map(r => device[r]), opacity: 0.6 }
  ];
  if (reference.values) {
    data.push({
      type: 'histogram',
      name: 'all rows (reference)',
      x: Array.from(reference.values),
      marker: { color: 'rgba(0,0,0,0)', line: { color: '#444', width: 1 } }
    });
  }
  return {
    id: 'score-distribution',
    data,
    layout: layout('Anomaly scores: normal rows, outliers and the threshold', {
      barmode: 'overlay',
      xaxis: { title: { text: 'score_samples' } },
      yaxis: { title: { text: 'rows' } },
      shapes: [
        { type: 'line', x0: offset, x1: offset, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dash', color: '#c00' } }
      ],
      annotations: [{ x: offset, yref: 'paper', y: 1, text: 'threshold', showarrow: false, yanchor: 'bottom' }]
    })
  };
}

export function sizeFigure(size: SizeEstimate): Figure {
  return {
    id: 'flash-breakdown',
    data: [
      {
        type: 'bar',
        orientation: 'h',
        x: size.flash.map(item => item.bytes),
        y: size.flash.map(item => item.name),
        text: size.flash.map(item => formatBytes(item.bytes)),
        textposition: 'auto'
      }
    ],
    layout: layout(`Estimated flash: ${formatBytes(size.flashBytes)} (${size.target})`, {
      xaxis: { title: { text: 'bytes' } },
      margin: { ...BASE_LAYOUT.margin, l: 120 }
    })
  };
}

/** Confusion of device vs reference classes, and device vs reference probability of each row's reference class. */
export function agreementFigures(
  report: AgreementReport,
  classNames: string[],
  deviceValues: ArrayLike<number>,
  referenceValues: ArrayLike<number> | null,
  referenceClasses: ArrayLike<number> | null,
  valuesPerRow: number
): Figure[] {
  const figures: Figure[] = [];
  if (report.classes?.confusion) {
    const confusion = report.classes.confusion;
    figures.push({
      id: 'device-vs-reference-confusion',
      data: [
        {
          type: 'heatmap',
          z: confusion,
          x: classNames,
          y: classNames,
          colorscale: 'Blues',
          reversescale: true, // many rows: dark
          showscale: false,
          text: confusion.map(row => row.map(String)),
          texttemplate: '%{text}',
          hovertemplate: 'reference %{y}, device %{x}: %{z} rows<extra></extra>'
        }
      ],
      layout: layout('Device vs reference class', {
        xaxis: { title: { text: 'device (C runtime, WebAssembly)' }, type: 'category' },
        yaxis: { title: { text: 'reference (scikit-learn)' }, type: 'category', autorange: 'reversed' }
      })
    });
  }
  if (referenceValues && referenceValues.length === deviceValues.length) {
    const nRows = deviceValues.length / valuesPerRow;
    const x: number[] = [];
    const y: number[] = [];
    for (let r = 0; r < nRows; r++) {
      // The value of the reference class where there is one value per class.
      const k = valuesPerRow > 1 && referenceClasses ? Math.max(0, referenceClasses[r]) : 0;
      x.push(referenceValues[r * valuesPerRow + k]);
      y.push(deviceValues[r * valuesPerRow + k]);
    }
    const lo = Math.min(...x, ...y);
    const hi = Math.max(...x, ...y);
    const what = {
      classification: 'probability of the reference class',
      regression: 'prediction',
      anomaly: 'anomaly score'
    }[report.task];
    figures.push({
      id: 'device-vs-reference-values',
      data: [
        { type: 'scatter', mode: 'markers', name: 'rows', x, y, marker: { size: 5, opacity: 0.6 } },
        { type: 'scatter', mode: 'lines', name: 'y = x', x: [lo, hi], y: [lo, hi], line: { dash: 'dot', width: 1 } }
      ],
      layout: layout(`Device vs reference ${what}`, {
        xaxis: { title: { text: 'reference (scikit-learn)' } },
        yaxis: { title: { text: 'device (C runtime)' } },
        showlegend: false
      })
    });
  }
  return figures;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(2)} MiB`;
}

/** The measure of agreement shown against size: label agreement, or RMSE for regressors. */
export function agreementMeasure(report: AgreementReport): { value: number; name: string } {
  if (report.classes) {
    return { value: 100 * report.classes.rate, name: 'label agreement with scikit-learn (%)' };
  }
  return { value: report.values?.rmse ?? 0, name: 'RMSE against scikit-learn' };
}

/** Flash against agreement, one point per export option; clicking a point selects it. */
export function tradeoffFigure(
  points: TradeoffPoint[],
  current: string,
  select: (point: TradeoffPoint) => void
): Figure {
  const measures = points.map(p => agreementMeasure(p.report));
  // Room on both sides so that the point labels stay inside the plot.
  const lo = Math.min(...points.map(p => p.flashBytes));
  const hi = Math.max(...points.map(p => p.flashBytes));
  const pad = Math.max(0.2 * (hi - lo), 0.05 * hi, 1);
  return {
    id: 'tradeoff',
    data: [
      {
        type: 'scatter',
        mode: 'markers+text',
        x: points.map(p => p.flashBytes),
        y: measures.map(m => m.value),
        text: points.map(p => (p.label === current ? `${p.label} (selected)` : p.label)),
        textposition: 'top center',
        customdata: points.map(p => formatBytes(p.ramBytes)),
        hovertemplate: '%{text}<br>flash %{x} B<br>RAM %{customdata}<br>%{y}<extra></extra>',
        marker: {
          size: points.map(p => (p.label === current ? 16 : 11)),
          symbol: points.map(p => (p.label === current ? 'diamond' : 'circle'))
        }
      }
    ],
    layout: layout('Size vs agreement per option (click to select)', {
      xaxis: { title: { text: 'estimated flash (bytes)' }, range: [lo - pad, hi + pad] },
      yaxis: { title: { text: measures[0]?.name ?? '' } },
      showlegend: false
    }),
    onPointClick: index => select(points[index])
  };
}
