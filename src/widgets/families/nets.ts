/**
 * The Inspector's view of networks: layers, parameters, multiply-adds and activation memory,
 * and each layer's value range on the user's rows against what int8 holds there.
 */
import { nets } from '../../core/families/nets';
import type { NetStructure } from '../../core/families/nets/describe';
import type { NetTables } from '../../core/families/nets/lower';
import { traceNet } from '../../core/families/nets/run';
import type { FeatureType } from '../../core/options';
import type { TradeoffPoint } from '../../core/tradeoff';
import { Figure, THEME, formatBytes, layout } from '../charts';
import { element } from '../dom';
import { arenaPlanFigure } from './arenaPlan';
import { netGraph, netGraphElement } from './netGraph';
import type { ShownModel } from '../shownModel';
import type { FamilyAnalysis, FamilyView } from './view';

/** A layer's range next to what int8 can hold there. */
export interface LayerRange {
  name: string;
  /** Float range of the layer's output on the user's rows (float32 net, C runtime). */
  min: number;
  max: number;
  /** Range the int8 net represents at this layer, or null (a float32 output). */
  int8Min: number | null;
  int8Max: number | null;
}

/**
 * A network's structure: parameters, multiply-adds and weight bytes per layer (log scale:
 * they span orders of magnitude), the arena bytes live while each layer runs, and each
 * layer's value range against the int8 range (values outside it saturate).
 */
export function netStructureFigures(structure: NetStructure, ranges: LayerRange[]): Figure[] {
  const names = structure.layers.map((l, i) => `${i}: ${l.name}`);
  const figures: Figure[] = [
    {
      id: 'layer-costs',
      data: [
        { name: 'parameters', values: structure.layers.map(l => l.params) },
        { name: 'multiply-adds', values: structure.layers.map(l => l.macs) },
        { name: 'weight bytes', values: structure.layers.map(l => l.weightBytes) }
      ].map(({ name, values }) => ({
        type: 'bar',
        orientation: 'h',
        name,
        y: names,
        x: values,
        hovertemplate: `%{y}: %{x} ${name}<extra></extra>`
      })),
      layout: layout(
        'Cost per layer',
        layerBars(names.length, 3, { type: 'log', title: { text: 'count / bytes (log)' } }),
        // in the subtitle: a 350 px chart cuts a title with two eight-digit numbers
        `${structure.totalParams.toLocaleString('en-US')} parameters, ` +
          `${structure.totalMacs.toLocaleString('en-US')} multiply-adds`
      )
    },
    {
      id: 'memory-timeline',
      data: [
        {
          type: 'bar',
          orientation: 'h',
          name: 'live bytes',
          y: names,
          x: structure.layers.map(l => l.liveBytes),
          text: structure.layers.map(l => formatBytes(l.liveBytes)),
          textposition: 'auto',
          hovertemplate: '%{y}: %{text} live<extra></extra>'
        }
      ],
      layout: layout(
        'Activation memory while each layer runs',
        {
          ...layerBars(names.length, 1, { title: { text: 'bytes' } }),
          shapes: [
            {
              type: 'line',
              x0: structure.arenaBytes,
              x1: structure.arenaBytes,
              yref: 'paper',
              y0: 0,
              y1: 1,
              line: { dash: 'dash', color: THEME.muted }
            }
          ]
        },
        `arena ${formatBytes(structure.arenaBytes)} (dashed line)`
      )
    }
  ];
  if (ranges.length > 0) {
    const rangeNames = ranges.map((r, i) => `${i}: ${r.name}`);
    figures.push({
      id: 'value-ranges',
      data: [
        {
          type: 'bar',
          orientation: 'h',
          name: 'values on your rows',
          y: rangeNames,
          base: ranges.map(r => r.min),
          x: ranges.map(r => r.max - r.min),
          opacity: 0.6,
          hoverinfo: 'y+name'
        },
        {
          type: 'scatter',
          mode: 'markers',
          name: 'int8 range',
          y: [...rangeNames, ...rangeNames],
          x: [...ranges.map(r => r.int8Min), ...ranges.map(r => r.int8Max)],
          marker: { symbol: 'line-ns-open', size: 14, line: { width: 2 } }
        }
      ],
      layout: layout(
        'Layer outputs against the int8 range',
        layerBars(rangeNames.length, 1, { title: { text: 'value' } }),
        'outside the int8 marks, values saturate'
      )
    });
  }
  return figures;
}

/** Pixels per bar of a layer: names stay apart however many layers. */
const BAR_PX = 14;

/**
 * The layout of a chart with one row of `barsPerLayer` horizontal bars per layer: first
 * layer on top, names left of the bars (never rotated), tall enough for every name, the
 * legend below.
 */
function layerBars(nLayers: number, barsPerLayer: number, xaxis: Record<string, unknown>): Record<string, unknown> {
  return {
    height: Math.max(280, 130 + nLayers * Math.max(20, barsPerLayer * BAR_PX + 6)),
    barmode: 'group',
    xaxis,
    yaxis: { autorange: 'reversed', automargin: true, type: 'category' },
    legend: { orientation: 'h', x: 0, xanchor: 'left', yref: 'container', y: 0, yanchor: 'bottom' },
    margin: { l: 55, r: 15, t: 80, b: 80 }
  };
}

/**
 * Each layer's range on the user's rows (the float32 net, run by the C runtime) and the
 * range the int8 net can hold there: what saturates, layer by layer.
 */
function layerRanges({ tradeoffs, x, nRows }: FamilyAnalysis): LayerRange[] {
  const tablesOf = (type: FeatureType): NetTables | null => {
    const point = tradeoffs.find((p: TradeoffPoint) => p.featureType === type);
    return point ? (point.model.tables as NetTables) : null;
  };
  const float = tablesOf('float32');
  if (!float || nRows === 0) {
    return [];
  }
  const int8 = tablesOf('int8');
  const trace = traceNet(float, x, nRows);
  return float.layers.map((layer, k) => {
    const q = int8?.layers[k];
    const representable = q && !q.outFloat;
    return {
      name: layer.name,
      min: trace.min[k],
      max: trace.max[k],
      int8Min: representable ? q.outScale * (-128 - q.outZero) : null,
      int8Max: representable ? q.outScale * (127 - q.outZero) : null
    };
  });
}

/** One row per runtime layer: what it computes, its cost, and (int8) its quantization. */
function layerTable(structure: NetStructure, tables: NetTables, ranges: LayerRange[]): HTMLElement {
  const box = element('div', 'tml-layers');
  const int8 = tables.featureType === 'int8';
  box.appendChild(element('h4', '', `Layers (${structure.layers.length}) as the C runtime runs them`));
  const table = element('table', 'tml-layer-table');
  const titles = [
    '#',
    'layer',
    'kind',
    'activation',
    'output',
    'parameters',
    'multiply-adds',
    'instructions (est., M4F)',
    'weight bytes',
    'live bytes',
    'range on your rows'
  ];
  if (int8) {
    titles.push('int8 scale / zero');
  }
  const head = element('tr', '');
  titles.forEach(t => head.appendChild(element('th', '', t)));
  table.appendChild(head);
  structure.layers.forEach((l, k) => {
    const row = element('tr', 'tml-layer');
    const range = ranges[k];
    const layer = tables.layers[k];
    const cells = [
      String(k),
      l.name,
      l.kind,
      l.activation,
      l.outShape.filter((d, i) => d > 1 || i === 2).join(' × '),
      String(l.params),
      String(l.macs),
      String(l.instructions),
      formatBytes(l.weightBytes),
      formatBytes(l.liveBytes),
      range ? `[${range.min.toPrecision(3)}, ${range.max.toPrecision(3)}]` : '–'
    ];
    if (int8) {
      cells.push(layer.outFloat ? 'float32 output' : `${layer.outScale.toPrecision(3)} / ${layer.outZero}`);
    }
    cells.forEach(c => row.appendChild(element('td', '', c)));
    table.appendChild(row);
  });
  box.appendChild(table);
  return box;
}

const structureOf = (model: ShownModel): NetStructure => model.structure as NetStructure;

export const netsView: FamilyView<LayerRange[]> = {
  family: nets.id,
  numbersLabel: 'numbers ',
  analyse: (_model, input) => layerRanges(input),
  summary: model => {
    const structure = structureOf(model);
    return [
      ['layers', String(structure.layers.length), 'tml-stat-layers'],
      ['parameters', String(structure.totalParams), 'tml-stat-params'],
      ['multiply-adds', String(structure.totalMacs), 'tml-stat-macs'],
      ['arena', formatBytes(structure.arenaBytes), 'tml-stat-arena'],
      ['instructions (est., M4F)', String(structure.estimatedInstructions), 'tml-stat-instructions']
    ];
  },
  structureFigures: (model, ranges) => [
    arenaPlanFigure(model.tables as NetTables),
    ...netStructureFigures(structureOf(model), ranges)
  ],
  sections: (model, ranges) => [
    netGraphElement(netGraph(model.tables as NetTables, structureOf(model))),
    layerTable(structureOf(model), model.tables as NetTables, ranges)
  ],
  tradeoffColumn: {
    title: 'instructions (est., M4F)',
    value: point => (point.instructions !== undefined ? String(point.instructions) : '')
  }
};
