/** The Inspector's view of Gaussian models: components, covariance and each component's constant. */
import { gaussian } from '../../core/families/gaussian';
import type { GaussianStructure } from '../../core/families/gaussian/ir';
import { Figure, layout } from '../charts';
import type { ShownModel } from '../shownModel';
import type { FamilyView } from './view';

/** A Gaussian model's components: each one's constant (its weight or prior, and its spread). */
export function gaussianStructureFigures(structure: GaussianStructure, names: string[]): Figure[] {
  const labels = structure.logNorm.map((_, k) => names[k] ?? `component ${k}`);
  return [
    {
      id: 'components',
      data: [{ type: 'bar', x: labels, y: structure.logNorm, name: 'log weight + log det - D/2 log 2π' }],
      layout: layout(
        `${structure.nComponents} component(s), ${structure.covariance} covariance, ${structure.parametersPerComponent} numbers each`,
        { yaxis: { title: { text: 'component constant' } }, xaxis: { type: 'category' } }
      )
    }
  ];
}

const structureOf = (model: ShownModel): GaussianStructure => model.structure as GaussianStructure;

export const gaussianView: FamilyView = {
  family: gaussian.id,
  numbersLabel: 'numbers ',
  summary: model => {
    const structure = structureOf(model);
    return [
      ['components', String(structure.nComponents), 'tml-stat-components'],
      ['covariance', structure.covariance, 'tml-stat-covariance'],
      ['numbers per component', String(structure.parametersPerComponent), 'tml-stat-params']
    ];
  },
  structureFigures: model => gaussianStructureFigures(structureOf(model), model.ir.classes.map(String))
};
