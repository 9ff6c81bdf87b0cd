/**
 * A network's layer graph as the Inspector draws it: one row per layer in execution order
 * (the net's input first), an edge from each layer that writes a tensor to each layer that
 * reads it. A chain is a straight line; a tensor read again later (a skip connection, a
 * branch) keeps a lane of its own down to its last reader, so a residual block shows as the
 * block beside its bypass. Drawn as SVG (the edges) beside HTML rows (the labels), in the
 * theme's colours, with a fixed row height: tall nets stay legible and narrow panels cut
 * labels with an ellipsis, never overlapping them.
 */
import type { NetStructure } from '../../core/families/nets/describe';
import { BINARY_KINDS, NetLayer, NetTables, channelsWithRows, layerSources } from '../../core/families/nets/lower';
import { formatBytes } from '../charts';
import { element } from '../dom';
import { arenaTensors, shapeText } from './arenaPlan';

/** A row of the graph: the net's input (index -1) or a layer. */
export interface GraphNode {
  index: number;
  row: number;
  lane: number;
  /** What the row shows: the operation ("conv 3×3/2 · relu") and the output shape. */
  op: string;
  shape: string;
  name: string;
  /** Class of its marker: conv, depthwise, pool, merge, other or input. */
  group: 'input' | 'conv' | 'depthwise' | 'pool' | 'merge' | 'other';
  /** Everything about it, shown on hover. */
  detail: string;
}

/** An edge from the node that writes a tensor to one that reads it, as [lane, row] points. */
export interface GraphEdge {
  from: number;
  to: number;
  points: Array<[number, number]>;
}

export interface NetGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  lanes: number;
  title: string;
}

const times = (n: number, unit: string, units = `${unit}s`): string => `${n} ${n === 1 ? unit : units}`;

/** The operation of a layer in a few characters: kind, window, stride, activation. */
export function layerOp(layer: NetLayer): string {
  const window = `${layer.kernel[0]}×${layer.kernel[1]}`;
  const stride = layer.stride[0] > 1 || layer.stride[1] > 1 ? `/${Math.max(...layer.stride)}` : '';
  const global =
    layer.kernel[0] === layer.inShape[0] && layer.kernel[1] === layer.inShape[1] && layer.outShape[0] === 1;
  let op: string;
  switch (layer.kind) {
    case 'conv':
      op =
        layer.inShape[0] * layer.inShape[1] === 1 && layer.kernel[0] * layer.kernel[1] === 1
          ? 'dense'
          : `conv ${window}${stride}`;
      break;
    case 'depthwise':
      op = `depthwise ${window}${stride}`;
      break;
    case 'max_pool':
    case 'avg_pool':
      op = `${layer.kind === 'max_pool' ? 'max' : 'avg'} pool ${global ? 'global' : `${window}${stride}`}`;
      break;
    case 'affine':
      op = 'scale + shift';
      break;
    case 'activation':
      return layer.activation;
    case 'concat':
      op = 'concatenate';
      break;
    default:
      op = layer.kind;
  }
  return layer.activation === 'identity' ? op : `${op} · ${layer.activation}`;
}

function groupOf(layer: NetLayer): GraphNode['group'] {
  if (BINARY_KINDS.includes(layer.kind)) {
    return 'merge';
  }
  if (layer.kind === 'conv' || layer.kind === 'depthwise') {
    return layer.kind;
  }
  return layer.kind === 'max_pool' || layer.kind === 'avg_pool' ? 'pool' : 'other';
}

/**
 * Rows and lanes: a tensor holds a lane from the row that writes it to its last reader. A
 * layer takes the lowest lane of an input it reads last (so a chain goes straight down), or
 * the lowest free lane when every input it reads lives on (it starts a branch).
 */
function placeLanes(tables: NetTables): number[] {
  const layers = tables.layers;
  const lastReader = new Map<number, number>();
  layers.forEach((layer, k) => layerSources(layer, k).forEach(t => lastReader.set(t, k)));
  const occupied: Array<number | null> = [-1]; // the tensor in each lane; the input in lane 0
  const laneOf = new Map<number, number>([[-1, 0]]);
  const lanes: number[] = [0];
  layers.forEach((layer, k) => {
    const sources = layerSources(layer, k);
    const ending = sources.filter(t => lastReader.get(t) === k).map(t => laneOf.get(t) as number);
    ending.forEach(lane => (occupied[lane] = null));
    let lane = ending.length > 0 ? Math.min(...ending) : occupied.indexOf(null);
    if (lane < 0) {
      lane = occupied.length;
    }
    occupied[lane] = lastReader.has(k) ? k : null;
    laneOf.set(k, lane);
    lanes.push(lane);
  });
  return lanes;
}

/** The graph of a network: its rows, lanes and edges, and a title that says its shape. */
export function netGraph(tables: NetTables, structure: NetStructure): NetGraph {
  const layers = tables.layers;
  const lanes = placeLanes(tables);
  const tensors = arenaTensors(tables);
  const laneOfNode = (index: number): number => lanes[index + 1];
  const inputShape = layers[0].inShape;
  const inputTensor = tensors[0];
  const nodes: GraphNode[] = [
    {
      index: -1,
      row: 0,
      lane: 0,
      op: 'input',
      shape: shapeText(inputShape),
      name: '',
      group: 'input',
      detail: [
        `input: ${shapeText(inputShape)} (${tables.featureType})`,
        `${formatBytes(inputTensor.bytes)} at arena offset ${inputTensor.offset}`,
        `read by layer${inputTensor.readers.length === 1 ? '' : 's'} ${inputTensor.readers.join(', ')}`
      ].join('\n')
    },
    ...layers.map((layer, k) => {
      const summary = structure.layers[k];
      const sources = layerSources(layer, k);
      const tensor = tensors[k + 1];
      const from = sources.map(t => (t < 0 ? 'the input' : `layer ${t}`)).join(' and ');
      const lines = [
        `${k}: ${layer.name}`,
        `${layerOp(layer)}${layer.kind === 'activation' ? '' : ` (activation ${layer.activation})`}`,
        `in ${sources.map(t => shapeText(t < 0 ? inputShape : layers[t].outShape)).join(' + ')} from ${from}`,
        `out ${shapeText(layer.outShape)}: ${formatBytes(tensor.bytes)} at arena offset ${tensor.offset}` +
          (tensor.inPlaceOver !== null ? ' (in place)' : ''),
        tensor.readers.length === 0
          ? 'the net’s output'
          : `read by layer${tensor.readers.length === 1 ? '' : 's'} ${tensor.readers.join(', ')}`
      ];
      if (summary.params > 0) {
        lines.push(
          `${summary.params.toLocaleString('en-US')} parameters, ${summary.macs.toLocaleString('en-US')} multiply-adds, ` +
            `${formatBytes(summary.weightBytes)} of weights`
        );
      }
      if (layer.rowMask) {
        lines.push(
          `weights stored for ${channelsWithRows(layer)} of ${layer.outShape[2]} output channels ` +
            '(the others’ are all zero: their outputs are their biases)'
        );
      }
      lines.push(`about ${summary.instructions.toLocaleString('en-US')} instructions (est., Cortex-M4F)`);
      lines.push(`${formatBytes(summary.liveBytes)} of the arena live while it runs`);
      const node: GraphNode = {
        index: k,
        row: k + 1,
        lane: laneOfNode(k),
        op: layerOp(layer),
        shape: shapeText(layer.outShape),
        name: layer.name,
        group: groupOf(layer),
        detail: lines.join('\n')
      };
      return node;
    })
  ];
  const edges: GraphEdge[] = layers.flatMap((layer, k) =>
    [...new Set(layerSources(layer, k))].map(t => {
      const start: [number, number] = [laneOfNode(t), t + 1];
      const end: [number, number] = [laneOfNode(k), k + 1];
      const points: Array<[number, number]> =
        start[0] === end[0] || end[1] - start[1] === 1 ? [start, end] : [start, [start[0], end[1] - 0.5], end];
      return { from: t, to: k, points };
    })
  );
  const branches = tensors.filter(t => t.readers.length > 1).length;
  const merges = layers.filter(l => BINARY_KINDS.includes(l.kind));
  const mergeKinds = [...new Set(merges.map(l => (l.kind === 'concat' ? 'concatenate' : l.kind)))].join(', ');
  const merged = merges.length > 0 ? `${times(merges.length, 'merge')} (${mergeKinds})` : '';
  const title =
    `Layer graph: ${times(layers.length, 'layer')}` +
    (branches > 0
      ? `, ${times(branches, 'branch', 'branches')}${merged ? ` joined by ${merged}` : ''}`
      : merged
        ? `, ${merged}`
        : ' in a chain');
  return { nodes, edges, lanes: Math.max(...lanes) + 1, title };
}

/** Pixels of a row and a lane; the SVG's coordinates. */
export const ROW_PX = 22;
export const LANE_PX = 16;
const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  Object.entries(attributes).forEach(([key, value]) => el.setAttribute(key, String(value)));
  return el;
}

const x = (lane: number): number => LANE_PX / 2 + lane * LANE_PX;
const y = (row: number): number => ROW_PX / 2 + row * ROW_PX;

/**
 * The graph's DOM: its title, an SVG of the edges and markers, and one row per node with its
 * index, operation, output shape and name (ellipsis when narrow; everything in the row's
 * tooltip). Hovering a row marks its edges.
 */
export function netGraphElement(graph: NetGraph): HTMLElement {
  const box = element('div', 'tml-net-graph');
  box.dataset.figure = 'layer-graph';
  box.appendChild(element('h4', 'tml-figure-title', graph.title));
  const body = element('div', 'tml-graph-body');
  const width = graph.lanes * LANE_PX;
  const height = graph.nodes.length * ROW_PX;
  body.style.height = `${height}px`;
  body.style.setProperty('--tml-graph-lanes', `${width}px`);
  const drawing = svg('svg', { class: 'tml-graph-edges', width, height, viewBox: `0 0 ${width} ${height}` });
  drawing.setAttribute('aria-hidden', 'true');
  const paths = graph.edges.map(edge => {
    const d = edge.points.map(([lane, row], i) => `${i === 0 ? 'M' : 'L'}${x(lane)} ${y(row)}`).join(' ');
    const path = svg('path', { class: 'tml-graph-edge', d, 'data-from': edge.from, 'data-to': edge.to });
    drawing.appendChild(path);
    return path;
  });
  graph.nodes.forEach(node => {
    const attributes = { class: `tml-graph-marker tml-graph-${node.group}`, 'data-node': node.index };
    const cx = x(node.lane);
    const cy = y(node.row);
    drawing.appendChild(
      node.group === 'merge'
        ? svg('rect', {
            ...attributes,
            x: cx - 5,
            y: cy - 5,
            width: 10,
            height: 10,
            transform: `rotate(45 ${cx} ${cy})`
          })
        : node.group === 'input'
          ? svg('rect', { ...attributes, x: cx - 5, y: cy - 5, width: 10, height: 10 })
          : svg('circle', { ...attributes, cx, cy, r: 4.5 })
    );
  });
  body.appendChild(drawing);
  const list = element('ol', 'tml-graph-rows');
  graph.nodes.forEach(node => {
    const row = element('li', `tml-graph-row tml-graph-row-${node.group}`);
    row.dataset.node = String(node.index);
    row.title = node.detail;
    row.append(
      element('span', 'tml-graph-index', node.index < 0 ? '' : String(node.index)),
      element('span', 'tml-graph-op', node.op),
      element('span', 'tml-graph-shape', node.shape),
      element('span', 'tml-graph-name', node.name)
    );
    const mark = (on: boolean): void =>
      paths.forEach(path => {
        const ends = [path.getAttribute('data-from'), path.getAttribute('data-to')];
        const touches = ends.includes(String(node.index));
        path.classList.toggle('tml-graph-edge-active', on && touches);
      });
    row.addEventListener('mouseenter', () => mark(true));
    row.addEventListener('mouseleave', () => mark(false));
    list.appendChild(row);
  });
  body.appendChild(list);
  box.appendChild(body);
  return box;
}
