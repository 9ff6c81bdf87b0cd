/**
 * Interning tables for lowering large forests: equal stored nodes (and equal leaf rows) get
 * one id. Columns live in growable typed arrays and a hash table of ids finds duplicates, so
 * a forest of millions of nodes costs a few dozen bytes per node, where string keys in a Map
 * and an object per node cost several hundred.
 */

/** A typed array that doubles when full. */
class Column<T extends Float64Array | Int32Array> {
  data: T;
  length = 0;

  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  /** The values pushed so far, as their own array. */
  values(): T {
    return this.data.slice(0, this.length) as T;
  }
}

export function int32Column(): Column<Int32Array> {
  return new Column(n => new Int32Array(n));
}

export function float64Column(): Column<Float64Array> {
  return new Column(n => new Float64Array(n));
}

const bits = new Float64Array(1);
const words = new Int32Array(bits.buffer); // Int32, not Uint32: keeps mix() in small integers

/** Mixes one 32-bit word into a hash (multiply-xorshift). */
function mix(hash: number, word: number): number {
  hash = Math.imul(hash ^ word, 0x9e3779b1);
  return hash ^ (hash >>> 15);
}

/** Mixes a number by its float64 bits; 0 and -0 hash alike, as === sees them equal. */
function mixNumber(hash: number, value: number): number {
  bits[0] = value === 0 ? 0 : value;
  return mix(mix(hash, words[0]), words[1]);
}

/** Open addressing over ids: grows at half full. `equal(id)` decides a match of the probe. */
class IdTable {
  private slots = new Int32Array(1 << 12).fill(-1);
  private used = 0;

  find(hash: number, equal: (id: number) => boolean): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.slots[slot];
      if (id < 0 || equal(id)) {
        return id;
      }
    }
  }

  insert(hash: number, id: number, hashOf: (id: number) => number): void {
    if (2 * (this.used + 1) > this.slots.length) {
      const old = this.slots;
      this.slots = new Int32Array(old.length * 2).fill(-1);
      old.forEach(existing => existing >= 0 && this.place(hashOf(existing), existing));
    }
    this.place(hash, id);
    this.used++;
  }

  private place(hash: number, id: number): void {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] >= 0) {
      slot = (slot + 1) & mask;
    }
    this.slots[slot] = id;
  }
}

/**
 * Stored nodes by id: a split (feature code, threshold, left and right child ids, whether NaN
 * goes left) or a leaf (feature LEAF, left = right = its leaf row).
 */
export class NodeTable {
  readonly feature = int32Column();
  readonly threshold = float64Column();
  readonly left = int32Column();
  readonly right = int32Column();
  /** 1 where a NaN goes left. */
  readonly missingLeft = int32Column();
  /** Nodes of the subtree when expanded as a tree. */
  readonly size = float64Column();
  private readonly ids = new IdTable();

  get count(): number {
    return this.feature.length;
  }

  private hash(feature: number, threshold: number, left: number, right: number, missingLeft: number): number {
    return mix(mix(mix(mixNumber(mix(0x811c9dc5, feature), threshold), left), right), missingLeft);
  }

  private hashOf = (id: number): number =>
    this.hash(
      this.feature.data[id],
      this.threshold.data[id],
      this.left.data[id],
      this.right.data[id],
      this.missingLeft.data[id]
    );

  /** The id of this node, a new one unless an equal node was interned before. */
  intern(feature: number, threshold: number, left: number, right: number, size: number, missingLeft = 0): number {
    const hash = this.hash(feature, threshold, left, right, missingLeft);
    const found = this.ids.find(
      hash,
      id =>
        this.feature.data[id] === feature &&
        this.threshold.data[id] === threshold &&
        this.left.data[id] === left &&
        this.right.data[id] === right &&
        this.missingLeft.data[id] === missingLeft
    );
    if (found >= 0) {
      return found;
    }
    const id = this.count;
    this.feature.push(feature);
    this.threshold.push(threshold);
    this.left.push(left);
    this.right.push(right);
    this.missingLeft.push(missingLeft);
    this.size.push(size);
    this.ids.insert(hash, id, this.hashOf);
    return id;
  }
}

/** Leaf rows of `width` stored values each, one row per distinct row, in first-seen order. */
export class RowTable {
  readonly values = float64Column();
  private readonly ids = new IdTable();

  constructor(readonly width: number) {}

  get count(): number {
    return this.values.length / this.width;
  }

  private hash(row: ArrayLike<number>, at = 0): number {
    let hash = 0x811c9dc5;
    for (let k = 0; k < this.width; k++) {
      hash = mixNumber(hash, row[at + k]);
    }
    return hash;
  }

  private hashOf = (id: number): number => this.hash(this.values.data, id * this.width);

  /** The index of this row among the distinct rows. */
  intern(row: ArrayLike<number>): number {
    const hash = this.hash(row);
    const found = this.ids.find(hash, id => {
      for (let k = 0; k < this.width; k++) {
        if (this.values.data[id * this.width + k] !== row[k]) {
          return false;
        }
      }
      return true;
    });
    if (found >= 0) {
      return found;
    }
    const id = this.count;
    for (let k = 0; k < this.width; k++) {
      this.values.push(row[k]);
    }
    this.ids.insert(hash, id, this.hashOf);
    return id;
  }
}
