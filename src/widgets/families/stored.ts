/**
 * What models that keep training vectors show (SVMs: support vectors, nearest neighbours:
 * samples): how many they store, per class. Shared by svm.ts and neighbors.ts.
 */
import { Figure, layout } from '../charts';
import type { ShownModel } from '../shownModel';
import type { FamilyView } from './view';

/** The structure both families describe themselves with. */
export interface StoredVectors {
  storedPerClass: number[];
  labels: string[];
  stored: number;
  what: string;
}

/** What an SVM or a nearest-neighbour model stores, per class: its size on the device. */
function storedFigures(structure: StoredVectors): Figure[] {
  return [
    {
      id: 'stored-vectors',
      data: [{ type: 'bar', x: structure.labels, y: structure.storedPerClass }],
      layout: layout(`${structure.stored} ${structure.what}`, {
        xaxis: { type: 'category', title: { text: 'class' } },
        yaxis: { title: { text: 'stored' } }
      })
    }
  ];
}

/** The view of a family whose structure is StoredVectors. */
export function storedVectorsView(family: string): FamilyView {
  const structureOf = (model: ShownModel): StoredVectors => model.structure as StoredVectors;
  return {
    family,
    numbersLabel: 'numbers ',
    summary: model => [[structureOf(model).what, String(structureOf(model).stored), 'tml-stat-stored']],
    structureFigures: model => storedFigures(structureOf(model))
  };
}
