/**
 * Plotly figure specs for the Inspector. Pure functions of the compiled model and the
 * device run, so jest can check them; Plotly itself renders only in the browser. Each
 * family's structure figures are in families/<family>.ts.
 */
import { AgreementReport, DeviceRun } from '../core/compile';
import { SizeEstimate, formatBytes } from '../core/estimate/size';
import { TradeoffSummary } from '../core/tradeoff';

export interface Figure {
  /** Stable id, used as a CSS hook and by the UI tests. */
  id: string;
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  /** Called with the index of a clicked point (of the first trace). */
  onPointClick?: (index: number) => void;
}

/**
 * JupyterLab's theme colours, as CSS variables: figure specs name them and Plots (plotly.ts) puts in
 * their values where it draws (Plotly takes no var()), again when the user changes the theme.
 */
export const THEME = {
  text: 'var(--jp-ui-font-color0)',
  muted: 'var(--jp-ui-font-color2)',
  grid: 'var(--jp-border-color2)',
  axis: 'var(--jp-border-color1)',
  /** The notebook output's background, behind and inside every chart. */
  background: 'var(--jp-layout-color0)',
  /** Hover labels: a panel a step apart from the background. */
  panel: 'var(--jp-layout-color1)',
  highlight: 'var(--jp-layout-color2)',
  /** The selected option, the many end of a colour scale. */
  brand: 'var(--jp-brand-color1)',
  error: 'var(--jp-error-color1)'
};

/** Text, axes, backgrounds, hover labels and tool bar of every figure that sets none of its own (a Plotly template). */
export const THEME_TEMPLATE = {
  layout: {
    font: { color: THEME.text },
    paper_bgcolor: THEME.background,
    plot_bgcolor: THEME.background,
    xaxis: { gridcolor: THEME.grid, linecolor: THEME.axis, zerolinecolor: THEME.axis, tickcolor: THEME.axis },
    yaxis: { gridcolor: THEME.grid, linecolor: THEME.axis, zerolinecolor: THEME.axis, tickcolor: THEME.axis },
    legend: { font: { color: THEME.text } },
    hoverlabel: { bgcolor: THEME.panel, bordercolor: THEME.axis, font: { color: THEME.text } },
    modebar: { bgcolor: 'rgba(0,0,0,0)', color: THEME.muted, activecolor: THEME.brand }
  }
};

/** Height of the strip above the title where Plotly's tool bar sits (it never covers the title). */
export const MODEBAR_STRIP = 28;

const BASE_LAYOUT = {
  height: 280,
  margin: { l: 55, r: 15, t: MODEBAR_STRIP + 38, b: 45 },
  font: { size: 11 }
};

/** A figure's layout: the shared size, margins and font, its title (and a smaller subtitle line). */
export function layout(title: string, extra: Record<string, unknown>, subtitle?: string): Record<string, unknown> {
  // The title hangs from the top of the figure, below the tool bar's strip.
  const text = { text: title, font: { size: 13 }, y: 1, yref: 'container', yanchor: 'top', pad: { t: MODEBAR_STRIP } };
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
      marker: { color: 'rgba(0,0,0,0)', line: { color: THEME.text, width: 1 } }
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
        {
          type: 'line',
          x0: offset,
          x1: offset,
          yref: 'paper',
          y0: 0,
          y1: 1,
          line: { dash: 'dash', color: THEME.error }
        }
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
  valuesPerRow: number,
  library = 'scikit-learn'
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
          // from the background (no rows) to the theme's blue (many rows), in light and dark
          colorscale: [
            [0, THEME.background],
            [1, THEME.brand]
          ],
          showscale: false,
          text: confusion.map(row => row.map(String)),
          texttemplate: '%{text}',
          hovertemplate: 'reference %{y}, device %{x}: %{z} rows<extra></extra>'
        }
      ],
      layout: layout('Device vs reference class', {
        xaxis: { title: { text: 'device (C runtime, WebAssembly)' }, type: 'category' },
        yaxis: { title: { text: `reference (${library})` }, type: 'category', autorange: 'reversed' }
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
        xaxis: { title: { text: `reference (${library})` } },
        yaxis: { title: { text: 'device (C runtime)' } },
        showlegend: false
      })
    });
  }
  return figures;
}

/** Sizes as every view shows them (the core words its own messages with the same function). */
export { formatBytes };

/** The measure of agreement shown against size: label agreement, or RMSE for regressors. */
export function agreementMeasure(report: AgreementReport, library = 'scikit-learn'): { value: number; name: string } {
  if (report.classes) {
    return { value: 100 * report.classes.rate, name: `label agreement with ${library} (%)` };
  }
  return { value: report.values?.rmse ?? 0, name: `RMSE against ${library}` };
}

/**
 * The y range of the agreement axis: fitted to the points with a little room, never above
 * 100% nor below 0% (an axis of 99-101% around points all at 100% says nothing true).
 */
export function agreementRange(values: number[], isPercent: boolean): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = isPercent ? Math.max(0.15 * (hi - lo), 0.5) : Math.max(0.15 * (hi - lo), 0.1 * Math.abs(hi), 1e-9);
  const bottom = Math.max(0, lo - pad);
  return [bottom, isPercent ? Math.min(100, hi + pad) : hi + pad];
}

/**
 * Flash against agreement, one point per export option (in the table's order); clicking a
 * point selects it. Names show on hover, not as labels (a dozen options crowd at 450 px);
 * the selected option is the large diamond, named in the subtitle.
 */
export function tradeoffFigure(
  points: TradeoffSummary[],
  current: string,
  select: (point: TradeoffSummary) => void,
  library = 'scikit-learn'
): Figure {
  const measures = points.map(p => agreementMeasure(p.report, library));
  const lo = Math.min(...points.map(p => p.flashBytes));
  const hi = Math.max(...points.map(p => p.flashBytes));
  const pad = Math.max(0.08 * (hi - lo), 0.03 * hi, 1);
  const isPercent = points[0]?.report.classes !== undefined && points[0]?.report.classes !== null;
  const selected = points.find(p => p.label === current);
  return {
    id: 'tradeoff',
    data: [
      {
        type: 'scatter',
        mode: 'markers',
        x: points.map(p => p.flashBytes),
        y: measures.map(m => m.value),
        text: points.map(p => (p.label === current ? `${p.label} (selected)` : p.label)),
        customdata: points.map(p => [formatBytes(p.flashBytes), formatBytes(p.ramBytes)]),
        hovertemplate: `<b>%{text}</b><br>flash %{customdata[0]}, RAM %{customdata[1]}<br>%{y${
          isPercent ? ':.2f}%' : ':.3g}'
        }<extra></extra>`,
        // points at 100% sit on the axis' top edge: drawn whole, not cut
        cliponaxis: false,
        marker: {
          size: points.map(p => (p.label === current ? 16 : 10)),
          symbol: points.map(p => (p.label === current ? 'diamond' : 'circle')),
          color: points.map(p => (p.label === current ? THEME.brand : THEME.muted)),
          line: { width: 1, color: THEME.background }
        }
      }
    ],
    layout: layout(
      'Size vs agreement per option (click to select)',
      {
        xaxis: { title: { text: 'estimated flash (bytes)' }, range: [lo - pad, hi + pad] },
        yaxis: {
          title: { text: measures[0]?.name ?? '' },
          range: agreementRange(
            measures.map(m => m.value),
            isPercent
          )
        },
        showlegend: false,
        hovermode: 'closest',
        // a click picks the point under the cursor, not a neighbour 20 px away
        hoverdistance: 8,
        margin: { ...BASE_LAYOUT.margin, t: BASE_LAYOUT.margin.t + 14 }
      },
      selected ? `◆ ${selected.label}: ${formatBytes(selected.flashBytes)} flash` : undefined
    ),
    onPointClick: index => select(points[index])
  };
}
