/**
 * The model families the compiler knows, in one list. Everything outside families/ reaches a
 * family through familyOf / familyById; adding a family means adding its folder and one line
 * to FAMILIES (and its members to the unions below). See docs/architecture.md.
 */
import type { Family } from './family';
import { gaussian, LoweredGaussian } from './gaussian';
import type { GaussianIR, GaussianStructure } from './gaussian/ir';
import { neighbors, LoweredNeighbors } from './neighbors';
import type { NeighborsIR, NeighborsStructure } from './neighbors/ir';
import { nets, LoweredNet } from './nets';
import type { NetStructure } from './nets/describe';
import type { NeuralNetIR } from './nets/ir';
import { svm, LoweredSvm } from './svm';
import type { SvmIR, SvmStructure } from './svm/ir';
import { trees } from './trees';
import type { TreeEnsembleIR } from './trees/ir';
import type { ForestStructure, LoweredForest } from './trees/lower';

export type ModelIR = TreeEnsembleIR | NeuralNetIR | GaussianIR | SvmIR | NeighborsIR;
export type LoweredModel = LoweredForest | LoweredNet | LoweredGaussian | LoweredSvm | LoweredNeighbors;
export type ModelStructure = ForestStructure | NetStructure | GaussianStructure | SvmStructure | NeighborsStructure;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each family types its own models
type AnyFamily = Family<any, any, any>;

const FAMILIES: AnyFamily[] = [trees, nets, gaussian, svm, neighbors];

/** The `family` values an IR may have. */
export const FAMILY_IDS: string[] = FAMILIES.map(f => f.id);

export function familyById(id: string): Family<ModelIR, LoweredModel, ModelStructure> {
  const family = FAMILIES.find(f => f.id === id);
  if (!family) {
    throw new Error(`unknown model family ${JSON.stringify(id)}`);
  }
  return family;
}

/** The family of an IR or of a lowered or compiled model. */
export function familyOf(model: { family: string }): Family<ModelIR, LoweredModel, ModelStructure> {
  return familyById(model.family);
}
