/**
 * The Inspector's family views, one per model family of the core (src/core/families), in one
 * list: adding a family's view means adding its module and one line here.
 */
import { neighbors } from '../../core/families/neighbors';
import { svm } from '../../core/families/svm';
import { gaussianView } from './gaussian';
import { netsView } from './nets';
import { storedVectorsView } from './stored';
import { treesView } from './trees';
import type { FamilyView } from './view';

export type { FamilyAnalysis, FamilyView, SummaryItem } from './view';
export type { LayerRange } from './nets';

const VIEWS: FamilyView[] = [
  treesView,
  netsView,
  gaussianView,
  storedVectorsView(svm.id),
  storedVectorsView(neighbors.id)
];

export function viewOf(model: { family: string }): FamilyView {
  const view = VIEWS.find(v => v.family === model.family);
  if (!view) {
    throw new Error(`no Inspector view for model family ${JSON.stringify(model.family)}`);
  }
  return view;
}
