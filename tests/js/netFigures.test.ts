/**
 * The Inspector's layer graph and arena plan of a network: edges, lanes and titles of the
 * graph, and rectangles that are lower.ts's arena plan (offsets, lifetimes, live bytes).
 */
import { buildFloatNet, encodeArray, lowerModel, parseModelIR } from '../../src/core';
import type { NetTables, NeuralNetIR } from '../../src/core';
import { describeNet } from '../../src/core/families/nets/describe';
import { formatBytes } from '../../src/widgets/charts';
import {
  arenaPlanFigure,
  arenaTensors,
  layerTicks,
  shortName,
  tensorExtent
} from '../../src/widgets/families/arenaPlan';
import { LANE_PX, ROW_PX, layerOp, netGraph, netGraphElement } from '../../src/widgets/families/netGraph';
import { netStructureFigures } from '../../src/widgets/families/nets';
import { resolveCssVariables } from '../../src/widgets/plotly';

const f64 = (values: number[], shape: number[]) => encodeArray(Float64Array.from(values), shape);
const values = (n: number) => Array.from({ length: n }, (_, i) => (((i * 7) % 11) - 5) * 0.05);

const conv = (kh: number, cin: number, cout: number, stride: number, activation: string, inputs?: number[]) => ({
  kind: 'conv2d',
  weights: f64(values(kh * kh * cin * cout), [kh, kh, cin, cout]),
  bias: f64(values(cout), [cout]),
  strides: [stride, stride],
  padding: 'same',
  activation,
  ...(inputs ? { inputs } : {})
});

function netIR(layers: unknown[], inputShape: number[], nOutputs: number): Record<string, unknown> {
  return {
    format: 'tinyml-lab-ir',
    version: 1,
    family: 'neural_net',
    estimator: 'test.Net',
    task: 'classification',
    classes: Array.from({ length: nOutputs }, (_, i) => i),
    n_features: inputShape.reduce((a, b) => a * b, 1),
    input_shape: inputShape,
    feature_names: [],
    n_outputs: nOutputs,
    layers
  };
}

/**
 * ResNet-8's shape, small: a stem, a residual block with an identity shortcut, a block whose
 * shortcut is a 1x1 stride-2 convolution, global average pooling and a dense softmax.
 */
const residualIR = () =>
  netIR(
    [
      conv(3, 3, 4, 1, 'relu'), // 0 stem
      conv(3, 4, 4, 1, 'relu'), // 1
      conv(3, 4, 4, 1, 'identity'), // 2
      { kind: 'add', inputs: [0, 2] }, // 3
      { kind: 'activation', activation: 'relu' }, // 4 (fused into the add)
      conv(3, 4, 8, 2, 'relu'), // 5
      conv(3, 8, 8, 1, 'identity'), // 6
      conv(1, 4, 8, 2, 'identity', [4]), // 7 shortcut
      { kind: 'add', inputs: [6, 7] }, // 8
      { kind: 'activation', activation: 'relu' }, // 9
      { kind: 'global_avg_pool2d' },
      { kind: 'flatten' },
      {
        kind: 'dense',
        weights: f64(values(8 * 3), [8, 3]),
        bias: f64(values(3), [3]),
        activation: 'softmax'
      }
    ],
    [8, 8, 3],
    3
  );

const residualNet = (): NetTables => buildFloatNet(parseModelIR(residualIR()) as NeuralNetIR);

/** An MLP: a chain. */
const chainNet = (): NetTables =>
  buildFloatNet(
    parseModelIR(
      netIR(
        [
          { kind: 'dense', weights: f64(values(4 * 6), [4, 6]), bias: f64(values(6), [6]), activation: 'relu' },
          { kind: 'dense', weights: f64(values(6 * 5), [6, 5]), bias: f64(values(5), [5]), activation: 'relu' },
          { kind: 'dense', weights: f64(values(5 * 3), [5, 3]), bias: f64(values(3), [3]), activation: 'softmax' }
        ],
        [4],
        3
      )
    ) as NeuralNetIR
  );

describe('the layer graph', () => {
  it('draws a residual net as a chain with bypasses: one edge per input, skips in a lane of their own', () => {
    const net = residualNet();
    expect(net.layers.map(l => l.kind)).toEqual([
      'conv',
      'conv',
      'conv',
      'add',
      'conv',
      'conv',
      'conv',
      'add',
      'avg_pool',
      'conv'
    ]);
    const graph = netGraph(net, describeNet(net));
    // the net's input, then one row per layer in execution order
    expect(graph.nodes.map(n => [n.index, n.row])).toEqual(Array.from({ length: 11 }, (_, i) => [i - 1, i]));
    // by reader, in execution order
    expect(graph.edges.map(e => [e.from, e.to])).toEqual([
      [-1, 0],
      [0, 1],
      [1, 2],
      [0, 3], // the identity shortcut
      [2, 3],
      [3, 4],
      [4, 5],
      [3, 6], // the 1x1 shortcut convolution reads the block's input
      [5, 7], // the block's main path joins the add
      [6, 7],
      [7, 8],
      [8, 9]
    ]);
    // Tensors read again later keep lane 0 (the bypass); the blocks' convolutions run beside it.
    expect(graph.nodes.map(n => n.lane)).toEqual([0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0]);
    expect(graph.lanes).toBe(2);
    const edge = (from: number, to: number) => graph.edges.find(e => e.from === from && e.to === to);
    expect(edge(0, 3)?.points).toEqual([
      [0, 1],
      [0, 4]
    ]); // straight down its lane, past the block
    expect(edge(0, 1)?.points).toEqual([
      [0, 1],
      [1, 2]
    ]); // the block forks off
    expect(edge(5, 7)?.points).toEqual([
      [1, 6],
      [1, 7.5],
      [0, 8]
    ]); // down its lane past the shortcut, then into the add
    // no edge passes through a row's marker it does not belong to
    for (const e of graph.edges) {
      for (let i = 1; i < e.points.length; i++) {
        const [[l0, r0], [l1, r1]] = [e.points[i - 1], e.points[i]];
        if (l0 === l1) {
          graph.nodes
            .filter(n => n.lane === l0 && n.row > r0 && n.row < r1)
            .forEach(n => expect([e.from, e.to, n.index]).toEqual([e.from, e.to, 'no node on the way']));
        }
      }
    }
    expect(graph.title).toBe('Layer graph: 10 layers, 2 branches joined by 2 merges (add)');
    expect(graph.nodes[4]).toMatchObject({ op: 'add · relu', shape: '8×8×4', group: 'merge' });
    expect(graph.nodes[6]).toMatchObject({ op: 'conv 3×3', shape: '4×4×8' });
    expect(graph.nodes[7].detail).toContain('in 8×8×4 from layer 3');
    expect(graph.nodes[10]).toMatchObject({ op: 'dense · softmax', shape: '3' });
    expect(graph.nodes[10].detail).toContain('the net’s output');
    // each layer's estimated instructions, which add up to the net's estimate but for the input's
    const structure = describeNet(net);
    expect(graph.nodes[6].detail).toContain(
      `about ${structure.layers[5].instructions.toLocaleString('en-US')} instructions (est., Cortex-M4F)`
    );
    const layerSum = structure.layers.reduce((sum, l) => sum + l.instructions, 0);
    expect(structure.estimatedInstructions - layerSum).toBe(Math.round(-180 + 6.7 * net.nInputs));
  });

  it('names each operation compactly: window, stride, pooling, activation', () => {
    const net = residualNet();
    expect(net.layers.map(layerOp)).toEqual([
      'conv 3×3 · relu',
      'conv 3×3 · relu',
      'conv 3×3',
      'add · relu',
      'conv 3×3/2 · relu',
      'conv 3×3',
      'conv 1×1/2',
      'add · relu',
      'avg pool global',
      'dense · softmax'
    ]);
  });

  it('draws a chain as one straight lane and says so', () => {
    const net = chainNet();
    const graph = netGraph(net, describeNet(net));
    expect(graph.lanes).toBe(1);
    expect(graph.edges.every(e => e.points.every(([lane]) => lane === 0) && e.to === e.from + 1)).toBe(true);
    expect(graph.title).toBe('Layer graph: 3 layers in a chain');
  });

  it('renders rows of a fixed height beside the lanes, details on hover, edges marked on hover', () => {
    const net = residualNet();
    const box = netGraphElement(netGraph(net, describeNet(net)));
    document.body.appendChild(box);
    expect(box.dataset.figure).toBe('layer-graph');
    const rows = Array.from(box.querySelectorAll<HTMLElement>('li.tml-graph-row'));
    expect(rows).toHaveLength(11);
    expect(rows[4].textContent).toBe('3add · relu8×8×4add 3 + relu');
    expect(rows[4].title).toContain('from layer 0 and layer 2');
    const svg = box.querySelector('svg.tml-graph-edges') as SVGSVGElement;
    expect(svg.getAttribute('width')).toBe(String(2 * LANE_PX));
    expect(svg.getAttribute('height')).toBe(String(11 * ROW_PX));
    expect(svg.querySelectorAll('path.tml-graph-edge')).toHaveLength(12);
    expect(svg.querySelectorAll('.tml-graph-merge')).toHaveLength(2);
    rows[4].dispatchEvent(new MouseEvent('mouseenter'));
    const active = Array.from(svg.querySelectorAll('.tml-graph-edge-active')).map(
      p => `${p.getAttribute('data-from')}>${p.getAttribute('data-to')}`
    );
    expect(active.sort()).toEqual(['0>3', '2>3', '3>4', '3>6']);
    rows[4].dispatchEvent(new MouseEvent('mouseleave'));
    expect(svg.querySelectorAll('.tml-graph-edge-active')).toHaveLength(0);
    box.remove();
  });
});

describe('the arena plan', () => {
  /** Bytes of the tensors alive while layer k runs; an in-place output and its input are one block. */
  const liveAt = (net: NetTables, k: number) =>
    arenaTensors(net).filter(t => t.producer <= k && k <= t.lastUse && !(t.inPlaceOver !== null && t.producer === k));

  it('is lower.ts plan: offsets, lifetimes, in-place layers and the live bytes of every layer', () => {
    for (const net of [residualNet(), chainNet()]) {
      const tensors = arenaTensors(net);
      expect(tensors).toHaveLength(net.layers.length + 1);
      expect(tensors[0]).toMatchObject({ producer: -1, offset: net.layers[0].inOffset, bytes: 4 * net.nInputs });
      net.layers.forEach((layer, k) => expect(tensors[k + 1].offset).toBe(layer.outOffset));
      net.layers.forEach((_, k) => {
        const live = liveAt(net, k);
        expect(live.reduce((s, t) => s + t.bytes, 0)).toBe(net.liveBytes[k]);
        // what is live at once never shares a byte
        live.forEach(a =>
          live
            .filter(b => b !== a)
            .forEach(b => expect(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset).toBe(true))
        );
      });
      expect(Math.max(...tensors.map(t => t.offset + Math.ceil(t.bytes / 4) * 4))).toBe(net.arenaBytes);
    }
    const tensors = arenaTensors(residualNet());
    // the identity shortcut keeps the stem's output alive until the add, which writes over it
    expect(tensors[1]).toMatchObject({ producer: 0, readers: [1, 3], lastUse: 3 });
    const add = tensors[4];
    expect(add.inPlaceOver === 0 || add.inPlaceOver === 2).toBe(true);
    expect(tensors[(add.inPlaceOver as number) + 1].overwrittenBy).toBe(3);
    expect(tensorExtent(tensors[1])).toEqual(add.inPlaceOver === 0 ? [-0.5, 3] : [-0.5, 3.5]);
    expect(tensorExtent(add)).toEqual([3, 6.5]); // read by 4 and by the shortcut, 6
    expect(tensors[10]).toMatchObject({ producer: 9, readers: [], lastUse: 9 }); // the output
  });

  it('draws each tensor as a bar over its layers at its bytes, the arena and its peak in the title', () => {
    const net = residualNet();
    const figure = arenaPlanFigure(net);
    expect(figure.id).toBe('arena-plan');
    const peak = net.liveBytes.indexOf(Math.max(...net.liveBytes));
    const title = figure.layout.title as { text: string; subtitle: { text: string } };
    expect(title.text).toBe(`Arena ${formatBytes(net.arenaBytes)}: peak at layer ${peak} (${net.layers[peak].name})`);
    const tensors = arenaTensors(net);
    const unplanned = tensors.reduce((s, t) => s + t.bytes, 0);
    expect(title.subtitle.text).toBe(
      `${liveAt(net, peak).length} tensors live there; without planning ${formatBytes(unplanned)}`
    );
    expect(figure.data.map(d => d.name)).toEqual([
      'net input',
      'read by the next layer',
      'kept for a later layer',
      'net output'
    ]);
    // every tensor once, at its extent and bytes (the arena is under 4 KiB: in bytes)
    const bars = figure.data.flatMap(d =>
      (d.x as number[]).map((x, i) => ({
        from: x - (d.width as number[])[i] / 2,
        to: x + (d.width as number[])[i] / 2,
        base: (d.base as number[])[i],
        bytes: (d.y as number[])[i]
      }))
    );
    expect(bars).toHaveLength(tensors.length);
    for (const t of tensors) {
      const [from, to] = tensorExtent(t);
      expect(bars).toContainEqual({ from, to, base: t.offset, bytes: t.bytes });
    }
    // the skip connections' tensors: the stem's output (read by 1 and 3) and the block's (read by 4 and 6),
    // and the main path's end (read by 7 past the shortcut)
    const kept = figure.data.find(d => d.name === 'kept for a later layer') as Record<string, unknown>;
    expect((kept.customdata as string[]).map(s => s.split('<br>')[0])).toEqual([
      '<b>layer 0 output</b>: conv2d 0',
      '<b>layer 3 output</b>: add 3 + relu',
      '<b>layer 5 output</b>: conv2d 6'
    ]);
    const shapes = figure.layout.shapes as Array<Record<string, unknown>>;
    expect(shapes[0]).toMatchObject({ type: 'rect', x0: peak - 0.5, x1: peak + 0.5 });
    expect(shapes[1]).toMatchObject({ type: 'line', y0: net.arenaBytes, y1: net.arenaBytes });
    expect((figure.layout.annotations as Array<{ text: string }>)[0].text).toBe(`arena ${formatBytes(net.arenaBytes)}`);
  });

  it('says where gaps between blocks make the arena larger than the peak (placing the largest first)', () => {
    // MobileNet's start, small: input 48 values, 32, 32, then 64 (float32). Largest first, the
    // 64 and the input go at 0, the first 32 above the input, the second above both: 112 values,
    // where 96 are live at most.
    const net = buildFloatNet(
      parseModelIR(
        netIR(
          [
            conv(1, 3, 2, 1, 'relu'),
            {
              kind: 'depthwise_conv2d',
              weights: f64(values(9 * 2), [3, 3, 2, 1]),
              bias: f64(values(2), [2]),
              strides: [1, 1],
              padding: 'same',
              activation: 'relu'
            },
            conv(1, 2, 4, 1, 'relu'),
            { kind: 'global_avg_pool2d' },
            { kind: 'flatten' },
            { kind: 'dense', weights: f64(values(4 * 3), [4, 3]), bias: f64(values(3), [3]), activation: 'softmax' }
          ],
          [4, 4, 3],
          3
        )
      ) as NeuralNetIR
    );
    expect(net.arenaBytes).toBe(4 * 112);
    expect(Math.max(...net.liveBytes)).toBe(4 * 96);
    const figure = arenaPlanFigure(net);
    const title = figure.layout.title as { text: string; subtitle: { text: string } };
    expect(title.text).toBe(`Arena 448 B: peak 384 B at layer 2 (${net.layers[2].name})`);
    const unplanned = arenaTensors(net).reduce((sum, t) => sum + t.bytes, 0);
    expect(title.subtitle.text).toBe(`64 B of gaps between them; without planning ${formatBytes(unplanned)}`);
    const lines = (figure.layout.shapes as Array<Record<string, unknown>>).filter(sh => sh.type === 'line');
    expect(lines.map(l => [l.y0, (l.line as { dash: string }).dash])).toEqual([
      [448, 'dash'],
      [384, 'dot']
    ]);
    const notes = figure.layout.annotations as Array<{ text: string; yanchor: string }>;
    expect(notes.map(a => [a.text, a.yanchor])).toEqual([
      ['arena 448 B', 'bottom'],
      ['peak live 384 B', 'top']
    ]);
  });

  it('counts in KiB from 4 KiB on and labels fewer layers when there are many', () => {
    const x = Float32Array.from({ length: 32 * 32 * 3 * 4 }, (_, i) => Math.sin(i));
    const ir = residualIR();
    ir.input_shape = [32, 32, 3];
    ir.n_features = 32 * 32 * 3;
    const int8 = lowerModel(ir, { featureType: 'int8', calibration: x }).tables as NetTables;
    const figure = arenaPlanFigure(int8);
    expect(int8.arenaBytes).toBeGreaterThan(4096);
    expect((figure.layout.yaxis as { title: { text: string } }).title.text).toBe('arena offset (KiB)');
    const input = figure.data.find(d => d.name === 'net input') as Record<string, unknown>;
    expect(input.y).toEqual([(32 * 32 * 3) / 1024]); // int8: a byte per value
    const xaxis = figure.layout.xaxis as { tickvals: number[]; ticktext: string[] };
    expect(xaxis.ticktext.slice(0, 2)).toEqual(['in', '0']);
    // a long fused name stays short in the title
    expect(shortName('conv1d 0 + batch_norm 1 + relu')).toBe('conv1d 0 + batch_norm…');
    expect(xaxis.tickvals).toEqual([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 31 layers (MobileNet's) on a 450 px panel: every other one; 60: every fifth
    expect(layerTicks(31).ticktext.slice(0, 3)).toEqual(['0', '2', '4']);
    expect(layerTicks(31).tickvals.slice(-1)).toEqual([30]);
    expect(layerTicks(60).tickvals.slice(0, 3)).toEqual([0, 5, 10]);
  });
});

describe('theme colours', () => {
  it('puts the theme variables in, leaving out those without a value', () => {
    const lookup = (name: string) => ({ '--jp-ui-font-color1': ' rgba(0, 0, 0, 0.87)' })[name] ?? '';
    const spec = {
      font: { color: 'var(--jp-ui-font-color1)', size: 11 },
      shapes: [{ line: { color: 'var(--jp-unknown)', width: 1 } }],
      text: 'not var(--jp-ui-font-color1) alone'
    };
    expect(resolveCssVariables(spec, lookup)).toEqual({
      font: { color: 'rgba(0, 0, 0, 0.87)', size: 11 },
      shapes: [{ line: { width: 1 } }],
      text: 'not var(--jp-ui-font-color1) alone'
    });
  });
});

describe('network structure charts', () => {
  it('are horizontal bars, first layer on top, tall enough for every layer name', () => {
    const net = chainNet();
    const structure = describeNet(net);
    const figures = netStructureFigures(structure, []);
    expect(figures.map(f => f.id)).toEqual(['layer-costs', 'memory-timeline']);
    for (const figure of figures) {
      expect(figure.data.every(d => d.orientation === 'h')).toBe(true);
      expect(figure.data[0].y).toEqual(structure.layers.map((l, i) => `${i}: ${l.name}`));
      const yaxis = figure.layout.yaxis as Record<string, unknown>;
      expect(yaxis.autorange).toBe('reversed');
      expect(JSON.stringify(figure.layout)).not.toContain('tickangle');
      expect(figure.layout.height as number).toBeGreaterThanOrEqual(280);
    }
    // three bars a layer: at least 14 px each
    const costs = figures[0].layout.height as number;
    expect(costs).toBeGreaterThanOrEqual(structure.layers.length * 3 * 14);
  });
});
