/**
 * A network's arena plan as the Inspector draws it: every tensor (the net's input and each
 * layer's output) as a rectangle from the layer that writes it to the last layer that reads
 * it, at the bytes the planner gave it (lower.ts, planArena). What sets the arena's size
 * (the layer where most bytes are live) and what skip connections cost (tensors kept alive
 * across layers) show at a glance.
 */
import { NetTables, layerSources, outputElementBytes, shapeSize } from '../../core/families/nets/lower';
import { Figure, THEME, formatBytes, layout } from '../charts';

/** One tensor in the arena. */
export interface ArenaTensor {
  /** The layer that writes it; -1: the net's input. */
  producer: number;
  /** "input" or the producing layer's name. */
  name: string;
  /** Layers that read it, in execution order (none for the net's output: the caller reads it). */
  readers: number[];
  /** The last layer it must live through: its last reader (the net's output: its producer). */
  lastUse: number;
  offset: number;
  /** Bytes it takes: elements times element bytes (the planner rounds its blocks up to 4). */
  bytes: number;
  /** The tensor whose bytes it is written over (an element-by-element layer in place), or null. */
  inPlaceOver: number | null;
  /** The layer that writes its output over it in place, or null. */
  overwrittenBy: number | null;
}

export const shapeText = (shape: readonly number[]): string => shape.filter((d, i) => d > 1 || i === 2).join('×');

/**
 * The planned tensors of a network, from its tables: offsets as the C runtime reads them
 * (each layer's outOffset, the input's from the layers that read it), lifetimes from the
 * layers' inputs.
 */
export function arenaTensors(tables: NetTables): ArenaTensor[] {
  const layers = tables.layers;
  const readers = new Map<number, number[]>();
  const offsetOf = new Map<number, number>();
  layers.forEach((layer, k) => {
    layerSources(layer, k).forEach((t, i) => {
      const list = readers.get(t) ?? [];
      if (!list.includes(k)) {
        list.push(k);
      }
      readers.set(t, list);
      offsetOf.set(t, i === 0 ? layer.inOffset : layer.in2Offset);
    });
  });
  const inputElement = tables.featureType === 'float32' ? 4 : 1;
  const tensors: ArenaTensor[] = [
    {
      producer: -1,
      name: 'input',
      readers: readers.get(-1) ?? [],
      lastUse: Math.max(-1, ...(readers.get(-1) ?? [])),
      offset: offsetOf.get(-1) ?? 0,
      bytes: inputElement * tables.nInputs,
      inPlaceOver: null,
      overwrittenBy: null
    },
    ...layers.map((layer, k) => {
      const read = readers.get(k) ?? [];
      return {
        producer: k,
        name: layer.name,
        readers: read,
        lastUse: Math.max(k, ...read),
        offset: layer.outOffset,
        bytes: outputElementBytes(tables, layer) * shapeSize(layer.outShape),
        inPlaceOver: null as number | null,
        overwrittenBy: null as number | null
      };
    })
  ];
  const byProducer = (t: number): ArenaTensor => tensors[t + 1];
  // Two tensors live at once never share a byte, except a layer's output written over an
  // input it reads last (planArena's in-place case): same offset, the input's last use.
  layers.forEach((layer, k) => {
    const over = layerSources(layer, k).find(
      t => byProducer(t).lastUse === k && byProducer(t).offset === layer.outOffset
    );
    if (over !== undefined) {
      byProducer(k).inPlaceOver = over;
      byProducer(over).overwrittenBy = k;
    }
  });
  return tensors;
}

/**
 * A tensor's extent on the layer axis: layer k's column is [k - 0.5, k + 0.5]. A tensor
 * takes the columns from its producer to its last use; where a layer works in place, its
 * output starts at the middle of the column where its input ends.
 */
export function tensorExtent(t: ArenaTensor): [number, number] {
  return [
    t.inPlaceOver !== null ? t.producer : t.producer - 0.5,
    t.overwrittenBy !== null ? t.lastUse : t.lastUse + 0.5
  ];
}

type Category = 'input' | 'next' | 'kept' | 'output';

/** Legend names and colours (mid tones: legible on light and dark backgrounds). */
const CATEGORIES: Record<Category, { name: string; color: string }> = {
  input: { name: 'net input', color: '#4caf50' },
  next: { name: 'read by the next layer', color: '#4a90d9' },
  kept: { name: 'kept for a later layer', color: '#f08c2e' },
  output: { name: 'net output', color: '#a77bca' }
};

function categoryOf(t: ArenaTensor, n: number): Category {
  if (t.producer < 0) {
    return 'input';
  }
  if (t.producer === n - 1) {
    return 'output';
  }
  return t.lastUse > t.producer + 1 ? 'kept' : 'next';
}

/** A name short enough for a title line: long fused names ("conv 0 + batch_norm 1 + relu") end in "…". */
export function shortName(name: string, max = 22): string {
  return name.length <= max ? name : `${name.slice(0, max - 1).trimEnd()}…`;
}

/**
 * The layer axis's labelled ticks: about 20 px apart or more on a 450 px panel (the input's
 * column, "in", only where every layer has its label).
 */
export function layerTicks(nLayers: number): { tickvals: number[]; ticktext: string[] } {
  const perColumn = 350 / (nLayers + 1);
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500].find(s => s * perColumn >= 20) ?? 1000;
  const ticks = Array.from({ length: Math.floor((nLayers - 1) / step) + 1 }, (_, i) => i * step);
  const tickvals = step === 1 ? [-1, ...ticks] : ticks;
  return { tickvals, ticktext: tickvals.map(v => (v < 0 ? 'in' : String(v))) };
}

/** Tensors alive while layer k runs; an output written in place and its input are one block there. */
export function liveTensors(tensors: ArenaTensor[], k: number): ArenaTensor[] {
  return tensors.filter(t => t.producer <= k && k <= t.lastUse && !(t.inPlaceOver !== null && t.producer === k));
}

/**
 * Where the arena's size comes from: the layer where the most bytes are live (the first
 * such), those bytes, and the gaps: what the arena holds above them because the planner,
 * placing the largest tensors first, left holes between the blocks (the blocks rounded up
 * to 4 bytes are not gaps).
 */
export function arenaPeak(
  tables: NetTables,
  tensors = arenaTensors(tables)
): { layer: number; bytes: number; gaps: number } {
  const bytes = Math.max(...tables.liveBytes);
  const layer = tables.liveBytes.indexOf(bytes);
  const blocks = liveTensors(tensors, layer).reduce((s, t) => s + Math.ceil(t.bytes / 4) * 4, 0);
  return { layer, bytes, gaps: Math.max(0, tables.arenaBytes - blocks) };
}

/**
 * The arena plan: one rectangle per tensor, its columns the layers it lives through, its
 * height its bytes at its offset; the arena's size as a dashed line, the layer of the peak
 * as a band (and the peak's bytes as a dotted line where gaps make the arena larger). The
 * title gives the arena and its peak layer, the subtitle what one buffer per tensor (no
 * planning) would take.
 */
export function arenaPlanFigure(tables: NetTables): Figure {
  const tensors = arenaTensors(tables);
  const n = tables.layers.length;
  const arena = tables.arenaBytes;
  const unit = arena >= 4096 ? 1024 : 1;
  const unitName = unit === 1 ? 'bytes' : 'KiB';
  const peak = arenaPeak(tables, tensors);
  const unplanned = tensors.reduce((s, t) => s + t.bytes, 0);
  const liveAtPeak = liveTensors(tensors, peak.layer);
  const elementType = (t: ArenaTensor): string =>
    t.bytes / (t.producer < 0 ? tables.nInputs : shapeSize(tables.layers[t.producer].outShape)) === 4
      ? 'float32'
      : 'int8';
  const describe = (t: ArenaTensor): string => {
    const shape = t.producer < 0 ? `${tables.nInputs}` : shapeText(tables.layers[t.producer].outShape);
    const lines = [
      t.producer < 0 ? '<b>the net’s input</b>' : `<b>layer ${t.producer} output</b>: ${t.name}`,
      `${shape} ${elementType(t)} = ${formatBytes(t.bytes)}`,
      `bytes ${t.offset.toLocaleString('en-US')} to ${(t.offset + t.bytes - 1).toLocaleString('en-US')}`
    ];
    if (t.inPlaceOver !== null) {
      lines.push(`written in place over ${t.inPlaceOver < 0 ? 'the input' : `layer ${t.inPlaceOver}’s output`}`);
    }
    if (t.readers.length === 0) {
      lines.push('the net’s output: the caller reads it');
    } else {
      const last = t.readers[t.readers.length - 1];
      lines.push(
        t.readers.length === 1
          ? `read by layer ${last}`
          : `read by layers ${t.readers.join(', ')}: alive ${last - t.producer} layers`
      );
    }
    return lines.join('<br>');
  };
  const data = (Object.keys(CATEGORIES) as Category[]).flatMap(category => {
    const members = tensors.filter(t => categoryOf(t, n) === category);
    if (members.length === 0) {
      return [];
    }
    const extents = members.map(tensorExtent);
    return [
      {
        type: 'bar',
        name: CATEGORIES[category].name,
        x: extents.map(([a, b]) => (a + b) / 2),
        width: extents.map(([a, b]) => b - a),
        base: members.map(t => t.offset / unit),
        y: members.map(t => t.bytes / unit),
        customdata: members.map(describe),
        hovertemplate: '%{customdata}<extra></extra>',
        marker: { color: CATEGORIES[category].color, line: { color: THEME.background, width: 1 } },
        opacity: 0.9
      }
    ];
  });
  const right = peak.layer < n / 2;
  const peakName = shortName(tables.layers[peak.layer].name);
  const title =
    peak.gaps === 0
      ? `Arena ${formatBytes(arena)}: peak at layer ${peak.layer} (${peakName})`
      : `Arena ${formatBytes(arena)}: peak ${formatBytes(peak.bytes)} at layer ${peak.layer} (${peakName})`;
  const subtitle =
    (peak.gaps === 0 ? `${liveAtPeak.length} tensors live there` : `${formatBytes(peak.gaps)} of gaps between them`) +
    `; without planning ${formatBytes(unplanned)}`;
  const level = (bytes: number, dash: string, text: string, above: boolean) => ({
    shape: {
      type: 'line',
      xref: 'paper',
      x0: 0,
      x1: 1,
      y0: bytes / unit,
      y1: bytes / unit,
      line: { dash, width: 1, color: THEME.text }
    },
    annotation: {
      xref: 'paper',
      x: right ? 1 : 0,
      xanchor: right ? 'right' : 'left',
      y: bytes / unit,
      yanchor: above ? 'bottom' : 'top',
      text,
      showarrow: false
    }
  });
  const levels = [level(arena, 'dash', `arena ${formatBytes(arena)}`, true)];
  if (peak.gaps > 0) {
    levels.push(level(peak.bytes, 'dot', `peak live ${formatBytes(peak.bytes)}`, false));
  }
  return {
    id: 'arena-plan',
    data,
    layout: layout(
      title,
      {
        height: 360,
        margin: { l: 55, r: 15, t: 62, b: 92 },
        barmode: 'overlay',
        bargap: 0,
        xaxis: {
          title: { text: 'layer (execution order)', standoff: 4 },
          range: [-1.6, n - 0.4],
          tickmode: 'array',
          ...layerTicks(n),
          zeroline: false,
          showgrid: false
        },
        yaxis: {
          title: { text: `arena offset (${unitName})` },
          range: [0, (arena / unit) * 1.14],
          zeroline: false
        },
        // at the figure's foot, below the axis title, in two rows on a narrow panel
        legend: { orientation: 'h', x: 0, xanchor: 'left', yref: 'container', y: 0, yanchor: 'bottom' },
        shapes: [
          {
            type: 'rect',
            layer: 'below',
            xref: 'x',
            x0: peak.layer - 0.5,
            x1: peak.layer + 0.5,
            yref: 'paper',
            y0: 0,
            y1: 1,
            fillcolor: THEME.highlight,
            opacity: 0.7,
            line: { width: 0 }
          },
          ...levels.map(l => l.shape)
        ],
        annotations: levels.map(l => l.annotation)
      },
      subtitle
    )
  };
}
