/** Target profiles and per-target estimates (src/core/targets.ts), and the Inspector's table of them. */
import { compileModel, decodeArray, lowerModel } from '../../src/core';
import { encodeArray } from '../../src/core/ir/encoding';
import {
  TARGETS,
  estimateAllTargets,
  estimateForTarget,
  operationCount,
  resolveStrategy,
  targetProfile
} from '../../src/core/estimate/targets';
import { evaluateTradeoffs } from '../../src/core/tradeoff';
import { targetRows, targetsTable } from '../../src/widgets/targetsTable';
import { cloneIR, fixtures } from './fixtures';

const byId = (id: string) => targetProfile(id);

describe('target profiles', () => {
  it('cover the six core classes with budgets, clocks and FPU flags', () => {
    expect(TARGETS.map(t => t.id)).toEqual([
      'cortex-m0plus',
      'cortex-m3',
      'cortex-m4f',
      'cortex-m7',
      'esp32-c3',
      'avr'
    ]);
    expect(TARGETS.filter(t => t.fpu).map(t => t.id)).toEqual(['cortex-m4f', 'cortex-m7']);
    for (const t of TARGETS) {
      expect(t.flashBytes).toBeGreaterThan(0);
      expect(t.ramBytes).toBeGreaterThan(0);
      expect(t.clockMHz).toBeGreaterThan(0);
      expect(t.examplePart.length).toBeGreaterThan(0);
    }
    expect(byId('avr').ramBytes).toBe(2048);
  });

  it('refuses an unknown target by name', () => {
    expect(() => targetProfile('cortex-m99')).toThrow(/unknown target "cortex-m99"; use one of cortex-m0plus/);
  });
});

describe('estimateForTarget', () => {
  const forest = lowerModel(cloneIR('breast_cancer_forest'), { featureType: 'float32' });

  it('keeps the tables and scales code: Cortex-M4F equals the size.ts estimate plus its C library', () => {
    const compiled = compileModel(cloneIR('breast_cancer_forest'));
    const m4f = estimateForTarget(compiled, 'cortex-m4f');
    expect(m4f.flashBytes).toBe(compiled.size.flashBytes); // float32 trees pull no library on M4F
    const m0 = estimateForTarget(compiled, 'cortex-m0plus');
    const tables = (items: Array<{ name: string; bytes: number }>) =>
      items.filter(i => !/code|library/.test(i.name)).reduce((s, i) => s + i.bytes, 0);
    expect(tables(m0.flash)).toBe(tables(m4f.flash));
    expect(m0.flash.some(i => i.name.startsWith('C library (soft float'))).toBe(true);
    expect(m0.flashBytes).toBeGreaterThan(m4f.flashBytes);
  });

  it('prices float work much higher without an FPU, and highest on AVR', () => {
    const [m0, m3, m4f, m7, , avr] = estimateAllTargets(forest);
    expect(m7.cycles).toBeLessThan(m4f.cycles);
    expect(m4f.cycles).toBeLessThan(m3.cycles);
    expect(m3.cycles).toBeLessThan(m0.cycles);
    expect(m0.cycles).toBeLessThan(avr.cycles);
    expect(m4f.microseconds).toBeCloseTo(m4f.cycles / 100, 6);
  });

  it('counts a network by its multiply-adds: float32 MACs are float work, int8 ones are not', () => {
    const raw = decodeArray(fixtures.digits_mlp.x, 'float32', 'x').array;
    const f32 = lowerModel(cloneIR('digits_mlp'));
    const i8 = lowerModel(cloneIR('digits_mlp'), { featureType: 'int8', calibration: raw });
    const a = operationCount(f32);
    const b = operationCount(i8);
    // int8 keeps float work to quantizing the inputs and the output scores
    expect(a.floatOps).toBeGreaterThan(b.floatOps * 5);
    // without an FPU int8 wins by far; with one, the M4F instruction counts decide
    expect(estimateForTarget(i8, 'cortex-m0plus').cycles).toBeLessThan(
      estimateForTarget(f32, 'cortex-m0plus').cycles / 3
    );
  });

  it('says whether it fits, against the profile or a budget of the caller', () => {
    const m0 = estimateForTarget(forest, 'cortex-m0plus');
    expect(m0.fitsFlash).toBe(m0.flashBytes <= 64 * 1024);
    const tight = estimateForTarget(forest, 'cortex-m0plus', { flashBudget: m0.flashBytes - 1 });
    expect(tight.fitsFlash).toBe(false);
    expect(tight.fits).toBe(false);
    expect(estimateForTarget(forest, 'cortex-m0plus', { flashBudget: m0.flashBytes }).fitsFlash).toBe(true);
  });

  it('on AVR, tables stay in program memory (PROGMEM): a forest adds no RAM, a net its tml_net_t', () => {
    const digits = lowerModel(cloneIR('digits_forest'));
    const avr = estimateForTarget(digits, 'avr');
    const m0 = estimateForTarget(digits, 'cortex-m0plus');
    // avr-gcc folds the forest's descriptor into the code (test_estimates_calibration.py links it)
    expect(avr.ram.some(i => i.name.startsWith('descriptors copied to RAM'))).toBe(false);
    expect(avr.ramBytes).toBe(m0.ramBytes);
    expect(avr.fitsRam).toBe(true);
    // a net's layer descriptors are in program memory too; its tml_net_t (18 B on AVR) is not
    const mlp = lowerModel(cloneIR('digits_mlp'));
    const avrNet = estimateForTarget(mlp, 'avr');
    expect(avrNet.ram.find(i => i.name.startsWith('descriptors copied to RAM'))?.bytes).toBe(18);
    expect(avrNet.ramBytes).toBe(estimateForTarget(mlp, 'cortex-m0plus').ramBytes + 18);
  });

  it('estimates inline code apart from tables, int16 quantization costs cycles per split', () => {
    const tables = estimateForTarget(forest, 'cortex-m4f', { strategy: 'tables' });
    const inline = estimateForTarget(forest, 'cortex-m4f', { strategy: 'inline' });
    expect(inline.flash.some(i => i.name === 'inline tree code')).toBe(true);
    expect(inline.cycles).toBeLessThan(tables.cycles);
    const q = lowerModel(cloneIR('breast_cancer_forest'), { featureType: 'int16' });
    expect(estimateForTarget(q, 'cortex-m4f').cycles).toBeGreaterThan(tables.cycles);
  });

  it('prices AVR from simavr: a split compares float bits at its own price, not a soft-float call', () => {
    const avr = byId('avr');
    const ops = operationCount(forest);
    expect(ops.floatCompares).toBeGreaterThan(0);
    expect(avr.cyclesPerFloatCompare).toBeLessThan(avr.cyclesPerFloatOp / 10);
    const priced =
      (ops.instructions - ops.floatOps) * avr.cyclesPerInstruction +
      (ops.floatOps - (ops.floatCompares ?? 0)) * avr.cyclesPerFloatOp +
      (ops.floatCompares ?? 0) * (avr.cyclesPerFloatCompare ?? Number.NaN) +
      ops.mathCalls * avr.cyclesPerMathCall;
    expect(estimateForTarget(forest, 'avr').cycles).toBe(Math.round(priced));
  });

  it('sizes AVR inline trees by their own parts: features past a displacement load cost more', () => {
    // the same forest on its first 16 features (float32 bytes 0-63) or moved past them
    const near = cloneIR('breast_cancer_forest');
    const far = cloneIR('breast_cancer_forest');
    const code = (ir: ReturnType<typeof cloneIR>) =>
      estimateForTarget(lowerModel(ir), 'avr', { strategy: 'inline' }).flash.find(i => i.name === 'inline tree code')
        ?.bytes ?? 0;
    for (const ir of [near, far]) {
      for (const tree of ir.trees) {
        const features = decodeArray(tree.feature, 'int32', 'feature').array as Int32Array;
        const moved = features.map(f => (f < 0 ? f : ir === near ? f % 16 : 16 + (f % 14)));
        tree.feature = encodeArray(moved, [moved.length]);
      }
    }
    expect(code(far)).toBeGreaterThan(code(near));
  });

  it('gives the Cortex-M4F instruction count QEMU measures, library calls included, on every target', () => {
    const counts = estimateAllTargets(forest).map(e => e.m4fInstructions);
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBe(Math.round(operationCount(forest).instructions)); // float32 trees call no library
    // the MLP's softmax calls expf per class: those instructions come on top
    const mlp = lowerModel(cloneIR('digits_mlp'));
    const ops = operationCount(mlp);
    expect(ops.mathCalls).toBe(10);
    expect(estimateForTarget(mlp, 'avr').m4fInstructions).toBeGreaterThan(ops.instructions + 10 * 60);
  });
});

/**
 * A forest of `copies` times the digits fixture's trees, each copy's thresholds moved by a
 * different thousandth (pixels are whole numbers: the same votes), so that no copy shares
 * its subtrees with another: `copies` times the code and tables.
 */
function repeatedForest(copies: number): Record<string, any> {
  const ir = cloneIR('digits_forest');
  ir.trees = Array.from({ length: copies }, (_, k) =>
    ir.trees.map((tree: Record<string, any>) => {
      const threshold = decodeArray(tree.threshold, 'float64', 'threshold').array.map(t => t + k / 1000);
      return { ...tree, threshold: encodeArray(threshold) };
    })
  ).flat();
  return ir;
}

describe('strategy "auto"', () => {
  const both = (ir: Record<string, any>, target: string) =>
    (['tables', 'inline'] as const).map(strategy => estimateForTarget(lowerModel(ir), target, { strategy }));

  it('picks inline for a small tree on the default target, Cortex-M4F, and says why in one line', () => {
    const auto = compileModel(cloneIR('iris_tree'), { strategy: 'auto' });
    expect(auto.options.target).toBe('cortex-m4f');
    expect(auto.strategy).toBe('inline');
    expect(auto.header).toBe(compileModel(cloneIR('iris_tree'), { strategy: 'inline' }).header);
    const [tables, inline] = both(cloneIR('iris_tree'), 'cortex-m4f');
    expect(inline.cycles).toBeLessThan(tables.cycles);
    const figures = (e: typeof tables) => `~${e.cycles} cycles, ${e.flashBytes} B flash, ${e.ramBytes} B RAM`;
    expect(auto.autoChoice).toBe(
      `auto chose inline for Cortex-M4F: ${figures(inline)}, the fastest that fits its 512.0 KiB flash ` +
        `and 128.0 KiB RAM; tables: ${figures(tables)}`
    );
  });

  it('picks tables on Cortex-M0+ and AVR for a forest that fits their parts only as tables', () => {
    const ir = repeatedForest(3);
    for (const target of ['cortex-m0plus', 'avr']) {
      const [tables, inline] = both(ir, target);
      // the premise: inline is faster, and only tables fit the part
      expect(inline.cycles).toBeLessThan(tables.cycles);
      expect([tables.fits, inline.fits]).toEqual([true, false]);
      const auto = compileModel(ir, { strategy: 'auto', target });
      expect(auto.strategy).toBe('tables');
      expect(auto.autoChoice).toMatch(
        new RegExp(
          `^auto chose tables for ${targetProfile(target).name.replace('+', '\\+')}: .*, the fastest that fits ` +
            'its .*; inline: .* KiB flash \\(does not fit\\)'
        )
      );
      // the same forest on Cortex-M4F, whose part holds both: inline, the faster
      expect(compileModel(ir, { strategy: 'auto' }).strategy).toBe('inline');
    }
  });

  it('falls back to the smallest code form when none fits the part', () => {
    const ir = repeatedForest(12);
    const [tables, inline] = both(ir, 'avr');
    expect([tables.fits, inline.fits]).toEqual([false, false]);
    expect(tables.flashBytes).toBeLessThan(inline.flashBytes);
    const choice = resolveStrategy(lowerModel(ir, { strategy: 'auto', target: 'avr' }));
    expect(choice.strategy).toBe('tables');
    expect(choice.why).toMatch(
      /^auto chose tables for AVR: .*\(does not fit\).*, the smallest, as no code form fits its 32\.0 KiB flash and 2\.0 KiB RAM; inline: /
    );
  });

  it("estimates what it compiles, and keeps an explicit strategy or a family's only form without a reason", () => {
    const ir = repeatedForest(3);
    const lowered = lowerModel(ir, { strategy: 'auto', target: 'cortex-m0plus' });
    expect(estimateForTarget(lowered, 'cortex-m0plus')).toEqual(
      estimateForTarget(lowered, 'cortex-m0plus', { strategy: 'tables' })
    );
    expect(resolveStrategy(lowerModel(ir, { strategy: 'inline', target: 'avr' }))).toEqual({
      strategy: 'inline',
      why: null
    });
    const mlp = compileModel(cloneIR('digits_mlp'), { strategy: 'auto' });
    expect([mlp.strategy, mlp.autoChoice]).toEqual(['tables', null]);
  });

  it('refuses an unknown target, naming the profiles', () => {
    expect(() => lowerModel(cloneIR('iris_tree'), { strategy: 'auto', target: 'cortex-m99' })).toThrow(
      /unknown target "cortex-m99"; use one of cortex-m0plus, cortex-m3, cortex-m4f/
    );
  });
});

describe('the Inspector per-target table', () => {
  it('lists every target for every export option, marks the current one and says what does not fit', () => {
    const f = fixtures.breast_cancer_forest;
    const model = lowerModel(cloneIR('breast_cancer_forest'));
    const x = decodeArray(f.x, 'float32', 'x');
    const points = evaluateTradeoffs(model, x.array, x.shape[0], {
      classes: decodeArray(f.sklearn_classes, 'int32', 'c').array,
      values: decodeArray(f.sklearn_values, 'float64', 'v').array
    });
    expect(targetRows(points)).toHaveLength(TARGETS.length * points.length);
    const node = targetsTable(targetRows(points), 'float32 · tables');
    const rows = node.querySelectorAll('tr.tml-target');
    expect(rows).toHaveLength(TARGETS.length * points.length);
    expect(node.querySelectorAll('tr.tml-selected')).toHaveLength(TARGETS.length);
    for (const row of targetRows(points)) {
      const tr = node.querySelector(`tr[data-target="${row.target}"][data-option="${row.option}"]`) as HTMLElement;
      const last = tr.lastElementChild?.textContent ?? '';
      expect(last.startsWith(row.estimate.fits ? '✓' : '✗')).toBe(true);
      expect(last.includes('RAM >')).toBe(!row.estimate.fitsRam);
    }
    expect(node.querySelectorAll('td.tml-fits, td.tml-no-fit')).toHaveLength(rows.length);
    expect(node.querySelector('summary')?.textContent).toMatch(/fits \d of 6 target parts/);
  });
});

// The ipywidgets base classes ship as ES modules jest does not load; the view's drawing
// functions do not need them.
jest.mock('@jupyter-widgets/base', () => ({
  DOMWidgetModel: class {
    static serializers: Record<string, unknown> = {};
  },
  DOMWidgetView: class {}
}));

describe('the sweep view', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { sweepFigure, sweepTable } = require('../../src/widgets/sweepView');
  const point = (label: string, flash: number, accuracy: number, fits: boolean, onFront: boolean) => ({
    label,
    flash_bytes: flash,
    ram_bytes: 100,
    cycles: 1000,
    microseconds: 10,
    fits,
    on_front: onFront,
    agreement: 1,
    accuracy,
    rmse: null,
    error: null
  });
  const state = {
    points: [
      point('a', 900, 0.9, true, true),
      point('b', 1200, 0.95, true, true),
      point('c', 1100, 0.85, true, false),
      point('d', 5000, 0.97, false, false)
    ],
    metric: 'accuracy',
    target: 'cortex-m0plus',
    flash_budget: 4096,
    ram_budget: 8192
  };

  it('draws fitting points, the others and the front by increasing flash', () => {
    const figure = sweepFigure(state);
    expect(figure.data.map((t: { name: string }) => t.name)).toEqual(['fits', 'does not fit', 'Pareto front']);
    expect(figure.data[2].x).toEqual([900, 1200]);
    expect(figure.data[1].text).toEqual(['d']);
  });

  it('lists the front first', () => {
    const rows = Array.from(sweepTable(state).querySelectorAll('tr.tml-sweep-point')) as HTMLElement[];
    expect(rows.map(r => r.firstElementChild?.textContent)).toEqual(['a', 'b', 'c', 'd']);
    expect(rows[0].textContent).toContain('90.00%');
    expect(rows[3].textContent).toContain('✗');
  });
});
