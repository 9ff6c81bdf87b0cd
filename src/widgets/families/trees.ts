/** The Inspector's view of tree ensembles: trees, nodes, leaves, missing-value and categorical splits, and the splits quantization moved. */
import { trees } from '../../core/families/trees';
import type { ForestStructure } from '../../core/families/trees/lower';
import { Figure, layout } from '../charts';
import type { ShownModel } from '../shownModel';
import type { FamilyView, SummaryItem } from './view';

/**
 * Beyond this many trees, nodes and leaves per tree are drawn as lines: grouped bars would be
 * thinner than a pixel in a 450 px panel, and Plotly took 75 ms for a 500-tree forest's 1,000
 * bars against a few for two lines.
 */
const MOST_TREES_AS_BARS = 60;

function forestFigures(structure: ForestStructure): Figure[] {
  const trees = structure.nodesPerTree.map((_, i) => i);
  const series = (name: string, y: number[]) =>
    structure.nTrees > MOST_TREES_AS_BARS
      ? { type: 'scatter', mode: 'lines', name, x: trees, y }
      : { type: 'bar', name, x: trees, y };
  return [
    {
      id: 'tree-sizes',
      data: [series('nodes', structure.nodesPerTree), series('leaves', structure.leavesPerTree)],
      layout: layout(`Nodes and leaves per tree (${structure.nTrees} trees)`, {
        barmode: 'group',
        xaxis: { title: { text: 'tree' } },
        yaxis: { title: { text: 'count' } }
      })
    },
    {
      id: 'leaf-depths',
      data: [
        {
          type: 'bar',
          name: 'leaves',
          x: structure.leafDepthCounts.map((_, d) => d),
          y: structure.leafDepthCounts
        }
      ],
      layout: layout(`Leaf depth histogram (max depth ${Math.max(...structure.depthPerTree)})`, {
        xaxis: { title: { text: 'depth' }, dtick: 1 },
        yaxis: { title: { text: 'leaves' } }
      })
    }
  ];
}

const structureOf = (model: ShownModel): ForestStructure => model.structure as ForestStructure;

export const treesView: FamilyView = {
  family: trees.id,
  numbersLabel: 'features ',
  summary: model => {
    const structure = structureOf(model);
    const nodes = structure.nodesPerTree.reduce((a, b) => a + b, 0);
    const leaves = structure.leavesPerTree.reduce((a, b) => a + b, 0);
    const items: SummaryItem[] = [
      ['trees', String(structure.nTrees), 'tml-stat-trees'],
      ['nodes', String(nodes), 'tml-stat-nodes'],
      ['leaves', String(leaves), 'tml-stat-leaves']
    ];
    // missing-value routing and categorical splits only where the model has them
    if (structure.missingLeftSplits) {
      items.push(['splits sending NaN left', String(structure.missingLeftSplits), 'tml-stat-missing-left']);
    }
    if (structure.categoricalSplits) {
      items.push(['categorical splits', String(structure.categoricalSplits), 'tml-stat-categorical']);
    }
    return items;
  },
  quantizationSummary: (model, report) =>
    model.options.featureType === 'float32'
      ? []
      : [
          [
            'splits routed differently by quantization',
            `${report.routingChanges.length} on ${report.rowsWithRoutingChanges.length} rows`,
            'tml-stat-routing'
          ]
        ],
  structureFigures: model => forestFigures(structureOf(model)),
  tradeoffColumn: { title: 'splits moved', value: point => String(point.report.routingChanges.length) }
};
