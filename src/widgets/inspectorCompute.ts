/**
 * What the Inspector computes before it draws: the model lowered and compiled for the chosen
 * option, every export option run on the device and compared (the trade-off table), the
 * per-target estimates and the verdict's fit. A 500-tree forest takes seconds of it, so it runs
 * off the page's main thread: in a Web Worker (computeWorker.ts) or, where there is none (jest's
 * jsdom), on the page a piece at a time between other tasks. Both run the same code, behind
 * the same messages: serveComputations answers them on either end of a ComputePort, and
 * InspectorComputation (on the page) sends them. No DOM here.
 */
import {
  AgreementReport,
  CompiledModel,
  DeviceRun,
  acceptsNaN,
  checkFeatureMatrix,
  compileLowered,
  deviceValueCount,
  exportOptions,
  lowerParsed
} from '../core/compile';
import { TARGETS, TargetEstimate, estimateForTarget } from '../core/estimate/targets';
import { inputCount } from '../core/features/stage';
import { parseModelIR } from '../core/ir/envelope';
import { decodeArray } from '../core/ir/encoding';
import { CompileOptions, ExportOptions, resolveOptions } from '../core/options';
import { Steps, TradeoffPoint, TradeoffSummary, optionLabel, tradeoffSteps } from '../core/tradeoff';
import { Figure, sizeFigure } from './charts';
import { viewOf } from './families';
import { ShownModel, shownModel } from './shownModel';
import { TargetRow, targetRows } from './targetsTable';

/** What the kernel sends (traits of tinyml_lab.widget.Inspector). */
export interface InspectorState {
  ir: unknown;
  options: Partial<CompileOptions>;
  data: { x?: unknown; reference?: Record<string, unknown> };
  /** The kernel has qemu-system-arm and arm-none-eabi-gcc: a bundle can run on an emulated M4F. */
  bundleRunnable?: boolean;
  /** The target profile the verdict answers for (src/core/estimate/profiles.ts ids); Cortex-M4F by default. */
  target?: string;
}

/** The target the verdict answers for unless the user picks another (the size estimates' own). */
export const DEFAULT_TARGET = 'cortex-m4f';

/** The target profile the verdict answers for: the one asked for if it exists, else the default. */
export function verdictTarget(asked: string | undefined): (typeof TARGETS)[number] {
  return TARGETS.find(t => t.id === asked) ?? TARGETS.find(t => t.id === DEFAULT_TARGET)!;
}

export interface PanelResult {
  /** The compiled model without its IR's bulk (shownModel). */
  model: ShownModel;
  run: DeviceRun;
  /** Values per row in `run.values` (deviceValueCount). */
  valueCount: number;
  report: AgreementReport;
  /** Every export option on the same rows; one of them is `model`'s. */
  tradeoffs: TradeoffSummary[];
  /** X_test and sklearn's outputs, decoded once from the kernel's state. */
  x: Float32Array;
  reference: { classes: Int32Array | null; values: Float64Array | null; truth: Int32Array | null };
  /** What the model's family view computed for its figures (a network's layer ranges). */
  analysis: unknown;
  /** The export options the model's family offers it (the toolbar's choices). */
  offered: ExportOptions;
  /** Every target against every option (the per-target table). */
  targetRows: TargetRow[];
  /** The current option on the verdict's target (verdictTarget of the state's target). */
  fit: TargetEstimate;
}

/** The trade-off label of the option a compiled model uses ("auto" resolved). */
export function currentLabel(model: Pick<CompiledModel, 'family' | 'options' | 'strategy'>): string {
  return optionLabel(model, model.options.featureType, model.strategy, model.options.leafType);
}

/** What a computation is of: the kernel's model and rows, and its calibration rows if any. */
export interface ComputeInputs {
  ir: unknown;
  data: InspectorState['data'];
  calibration: unknown;
}

/** One computation asked for: options and target; `inputs` only when they changed since the last. */
export interface ComputeRequest {
  options: Partial<CompileOptions>;
  target?: string;
  inputs?: ComputeInputs;
}

/**
 * The charts of the current option that need no device run (its structure, its flash): sent
 * ahead of the result, the page draws them while the trade-off is computed. A view that
 * analyses every option's run first (a network's layer ranges) draws its structure at the end.
 */
export function earlyFigures(model: CompiledModel): Figure[] {
  const view = viewOf(model);
  return [...(view.analyse ? [] : view.structureFigures(shownModel(model), undefined)), sizeFigure(model.size)];
}

/** The trade-offs of one set of inputs, kept for the next option chosen. */
interface TradeoffTable {
  points: TradeoffPoint[];
  shown: TradeoffSummary[];
  x: Float32Array;
  reference: PanelResult['reference'];
  targetRows: TargetRow[];
}

/**
 * Computes what the panel draws, keeping the lowered option models of the last inputs: choosing
 * another option of the table then lowers and runs nothing again, only its header is written.
 */
export class InspectorComputer {
  private inputs: ComputeInputs | null = null;
  private table: TradeoffTable | null = null;

  /**
   * Takes the request's inputs at once (a later request without inputs means these), then
   * returns its computation as steps; `early` gets the earlyFigures of a model computed anew.
   */
  steps(request: ComputeRequest, early: (figures: Figure[]) => void = () => undefined): Steps<PanelResult> {
    if (request.inputs) {
      this.inputs = request.inputs;
      this.table = null;
    }
    return this.compute(this.inputs, request, early);
  }

  private *compute(
    inputs: ComputeInputs | null,
    { options: given, target }: ComputeRequest,
    early: (figures: Figure[]) => void
  ): Steps<PanelResult> {
    // strategy "auto" chooses for the target the verdict answers for (the picker's)
    const known = TARGETS.find(t => t.id === target)?.id;
    const options = known ? { ...given, target: known } : given;
    if (!inputs?.data || !inputs.data.x) {
      throw new Error('no test data: pass X_test to tinyml_lab.inspect');
    }
    const again = this.table && this.computeAgain(options, this.table, target);
    if (again) {
      return again;
    }
    return yield* this.computeAll(inputs, options, target, early);
  }

  /**
   * Another option of the trade-off table already computed: its lowered model, run and report
   * are there (they depend on the feature and leaf types alone); its header is written for the
   * name, code form and standalone asked. Null when the option is not in the table.
   */
  private computeAgain(
    options: Partial<CompileOptions>,
    table: TradeoffTable,
    target: string | undefined
  ): PanelResult | null {
    const asked = resolveOptions(options);
    const point = table.points.find(p => p.featureType === asked.featureType && p.leafType === asked.leafType);
    if (!point) {
      return null;
    }
    const { name, standalone, strategy } = asked;
    const model = compileLowered({
      ...point.model,
      options: { ...point.model.options, name, standalone, strategy, target: asked.target }
    });
    return this.resultFor(model, table, target);
  }

  private *computeAll(
    inputs: ComputeInputs,
    options: Partial<CompileOptions>,
    target: string | undefined,
    early: (figures: Figure[]) => void
  ): Steps<PanelResult> {
    const { array: x, shape } = decodeArray(inputs.data.x, 'float32', 'X_test');
    // An int8 network is calibrated on the kernel's calibration rows, else on X_test; a quantized
    // file (its IR's input_quantization) brings its own numbers and takes no rows.
    const quantizedSource = (inputs.ir as { input_quantization?: unknown } | null)?.input_quantization !== undefined;
    const ir = parseModelIR(inputs.ir);
    yield;
    const lowered = lowerParsed(
      ir,
      resolveOptions({
        ...options,
        calibration: inputs.calibration
          ? decodeArray(inputs.calibration, 'float32', 'calibration').array
          : quantizedSource
            ? undefined
            : x
      })
    );
    yield;
    const model = compileLowered(lowered);
    if (shape.length !== 2 || shape[1] !== inputCount(model.ir)) {
      throw new Error(
        `X_test has ${shape.length === 2 ? shape[1] : '?'} features per row, the model expects ${inputCount(model.ir)}`
      );
    }
    // the rows as the device run will check them: no chart drawn early for rows it refuses
    checkFeatureMatrix(x, shape[0], inputCount(model.ir), 'X', acceptsNaN(model.ir));
    early(earlyFigures(model));
    const optional = <D extends 'int32' | 'float64'>(key: string, dtype: D) => {
      const encoded = inputs.data.reference?.[key];
      return encoded ? decodeArray(encoded, dtype, `reference.${key}`).array : null;
    };
    const reference = {
      classes: optional('classes', 'int32'),
      values: optional('values', 'float64'),
      truth: optional('truth', 'int32')
    };
    yield;
    const points = yield* tradeoffSteps(model, x, shape[0], reference);
    const rows: TargetRow[] = [];
    for (const profile of TARGETS) {
      rows.push(...targetRows(points, [profile]));
      yield;
    }
    const shown = points.map(({ model: _lowered, ...point }) => point);
    this.table = { points, shown, x, reference, targetRows: rows };
    return this.resultFor(model, this.table, target);
  }

  private resultFor(model: CompiledModel, table: TradeoffTable, target: string | undefined): PanelResult {
    const current = table.points.find(p => p.label === currentLabel(model)) as TradeoffPoint;
    const analysis = viewOf(model).analyse?.(model, {
      tradeoffs: table.points,
      x: table.x,
      nRows: current.run.nRows
    });
    return {
      model: shownModel(model),
      run: current.run,
      valueCount: deviceValueCount(model),
      report: current.report,
      tradeoffs: table.shown,
      x: table.x,
      reference: table.reference,
      analysis,
      offered: exportOptions(model.ir),
      targetRows: table.targetRows,
      fit: estimateForTarget(model, verdictTarget(target).id)
    };
  }
}

/** Waits for the next task: what the page (or the worker) had queued runs first. */
export function nextTask(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}

/**
 * Runs steps a piece per task, pausing before each; stops (null) at the first pause after
 * `stale` turns true: a newer computation has superseded this one.
 */
export async function runInPieces<T>(
  steps: Steps<T>,
  stale: () => boolean,
  pause: () => Promise<void> = nextTask
): Promise<T | null> {
  for (;;) {
    await pause();
    if (stale()) {
      steps.return(undefined as never);
      return null;
    }
    const next = steps.next();
    if (next.done) {
      return next.value;
    }
  }
}

/** One end of a message channel: a Worker, the worker's global scope, or a local pair's end. */
export interface ComputePort {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  /** A MessagePort's: lets it go once its Inspector closed it. */
  close?(): void;
}

/** From the page to the computer: compute this (every newer id supersedes the older ones). */
export interface ComputeMessage {
  type: 'compute';
  id: number;
  request: ComputeRequest;
}

/**
 * From the computer to the page: charts to draw while the rest computes (before the result, if
 * any), then the result, the error's message, or "superseded" (no result).
 */
export type ComputeReply =
  | { type: 'early'; id: number; figures: Figure[] }
  | { type: 'result'; id: number; result: PanelResult }
  | { type: 'error'; id: number; message: string }
  | { type: 'superseded'; id: number };

/**
 * Answers ComputeMessages on a port, a piece of work per task: a message that arrives while
 * one is computed supersedes it at its next pause. The worker's whole program, and the page's
 * where there is no worker. Results cross as a structured clone (typed arrays as binary copies;
 * the model without its IR's bulk, see shownModel.ts: 3 MB for a 500-tree forest, the header
 * two of them), not transferred: the computer keeps the same arrays for the next option
 * chosen, and a transfer would take them from it.
 */
export function serveComputations(port: ComputePort, pause: () => Promise<void> = nextTask): void {
  const computer = new InspectorComputer();
  let latest = 0;
  port.onmessage = event => {
    if ((event.data as { type: string }).type === 'close') {
      // its Inspector is gone: nothing more to answer, and what the computer keeps may go
      port.onmessage = null;
      port.close?.();
      return;
    }
    const { id, request } = event.data as ComputeMessage;
    latest = id;
    const early = (figures: Figure[]) => port.postMessage({ type: 'early', id, figures });
    runInPieces(computer.steps(request, early), () => id !== latest, pause).then(
      result => port.postMessage(result === null ? { type: 'superseded', id } : { type: 'result', id, result }),
      (error: Error) => port.postMessage({ type: 'error', id, message: error.message })
    );
  };
}

/**
 * Two ports joined in this thread: what one posts, the other receives in a later task, as the
 * same objects (nothing is copied: no structured clone where there is no worker).
 */
export function localPorts(): [ComputePort, ComputePort] {
  const a: ComputePort = { onmessage: null, postMessage: m => setTimeout(() => b.onmessage?.({ data: m }), 0) };
  const b: ComputePort = { onmessage: null, postMessage: m => setTimeout(() => a.onmessage?.({ data: m }), 0) };
  return [a, b];
}

/** A port to a computer in this thread: what there is when the page has no Worker. */
export function localComputer(): ComputePort {
  const [page, computer] = localPorts();
  serveComputations(computer);
  return page;
}

/** A channel to a Web Worker running serveComputations, with what ends it (terminate). */
export interface WorkerPort extends ComputePort {
  onerror: ((event: unknown) => void) | null;
  terminate(): void;
}

/**
 * The page's side: sends each computation to a worker (or to the local computer where there is
 * none, or the worker fails to start) and resolves with its result, or null when a newer
 * computation superseded it. Model and rows travel only when they changed (by identity: the
 * widget model keeps them until the kernel sends new ones).
 */
export class InspectorComputation {
  private port: Promise<ComputePort> | null = null;
  private worker: WorkerPort | null = null;
  private lastInputs: ComputeInputs | null = null;
  private lastMessage: ComputeMessage | null = null;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(r: PanelResult | null): void; reject(e: Error): void; early?(figures: Figure[]): void }
  >();

  /** startWorker: a worker running computeWorker.ts, or null (the default under jest) to compute here. */
  constructor(private readonly startWorker: () => Promise<WorkerPort | null> = async () => null) {}

  /** `early` gets the charts that the computer sends ahead of the result (earlyFigures), if any. */
  compute(state: InspectorState, early?: (figures: Figure[]) => void): Promise<PanelResult | null> {
    const { calibration, ...options } = state.options as Partial<CompileOptions> & { calibration?: unknown };
    const inputs: ComputeInputs = { ir: state.ir, data: state.data, calibration };
    const last = this.lastInputs;
    const same = last && last.ir === inputs.ir && last.data === inputs.data && last.calibration === calibration;
    this.lastInputs = inputs;
    const message: ComputeMessage = {
      type: 'compute',
      id: ++this.nextId,
      request: { options, target: state.target, ...(same ? {} : { inputs }) }
    };
    // what the local computer is sent if the worker fails: with the inputs, which it never had
    this.lastMessage = { ...message, request: { ...message.request, inputs } };
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject, early });
      void this.connect().then(port => port.postMessage(message));
    });
  }

  /** Stops the worker; computations still running resolve as superseded. */
  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.pending.forEach(p => p.resolve(null));
    this.pending.clear();
  }

  private connect(): Promise<ComputePort> {
    if (!this.port) {
      this.port = this.startWorker()
        .catch(() => null)
        .then(worker => {
          if (!worker) {
            return this.listen(localComputer());
          }
          this.worker = worker;
          worker.onerror = () => this.fallBack();
          return this.listen(worker);
        });
    }
    return this.port;
  }

  private listen(port: ComputePort): ComputePort {
    port.onmessage = event => {
      const reply = event.data as ComputeReply;
      const waiting = this.pending.get(reply.id);
      if (reply.type === 'early') {
        waiting?.early?.(reply.figures);
        return;
      }
      this.pending.delete(reply.id);
      if (reply.type === 'result') {
        waiting?.resolve(reply.result);
      } else if (reply.type === 'error') {
        waiting?.reject(new Error(reply.message));
      } else {
        waiting?.resolve(null);
      }
    };
    return port;
  }

  /** The worker failed (its script did not load): compute here from now on, the latest request first. */
  private fallBack(): void {
    this.worker?.terminate();
    this.worker = null;
    const port = this.listen(localComputer());
    this.port = Promise.resolve(port);
    const latest = this.lastMessage;
    for (const [id, waiting] of [...this.pending]) {
      if (id !== latest?.id) {
        this.pending.delete(id);
        waiting.resolve(null);
      }
    }
    if (latest && this.pending.has(latest.id)) {
      port.postMessage(latest);
    }
  }
}
