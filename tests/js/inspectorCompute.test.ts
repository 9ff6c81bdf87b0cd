/**
 * The Inspector's computation off the main thread: its messages, what crosses to the page (a
 * structured clone, as a Worker's postMessage makes), superseding, and the fallback that
 * computes on the page a piece per task where no worker starts (jest's jsdom has no Worker).
 */
import { deserialize, serialize } from 'v8';

import { Figure } from '../../src/widgets/charts';
import {
  ComputeMessage,
  ComputePort,
  ComputeReply,
  InspectorComputation,
  WorkerPort,
  localPorts,
  runInPieces,
  serveComputations
} from '../../src/widgets/inspectorCompute';
import { InspectorPanel, InspectorState, PanelCallbacks } from '../../src/widgets/panel';
import { fixtures } from './fixtures';

function stateFor(name: string, options: InspectorState['options'] = {}): InspectorState {
  const f = fixtures[name];
  return {
    ir: f.ir,
    options: { name: 'model', featureType: 'float32', ...options },
    data: { x: f.x, reference: { classes: f.sklearn_classes, values: f.sklearn_values } }
  };
}

/**
 * A stand-in for `new Worker(...)`: serveComputations on the far end of a channel that copies
 * every message with V8's serializer, the structured clone a worker's postMessage makes (a
 * function or a class the panel relied on would not survive it). Records what the page sends.
 */
function clonedWorker(): { worker: WorkerPort; sent: ComputeMessage[] } {
  const [page, far] = localPorts();
  const copy = (port: ComputePort): ComputePort => ({
    get onmessage() {
      return port.onmessage;
    },
    set onmessage(handler) {
      port.onmessage = handler;
    },
    postMessage: message => port.postMessage(deserialize(serialize(message)))
  });
  serveComputations(copy(far));
  const sent: ComputeMessage[] = [];
  const toWorker = copy(page);
  const worker: WorkerPort = {
    get onmessage() {
      return toWorker.onmessage;
    },
    set onmessage(handler) {
      toWorker.onmessage = handler;
    },
    onerror: null,
    postMessage: message => {
      sent.push(message as ComputeMessage);
      toWorker.postMessage(message);
    },
    terminate: () => undefined
  };
  return { worker, sent };
}

/** A panel that records its figures; what it drew, as text, is `shown()`. */
function makePanel(computation?: InspectorComputation) {
  const figures: Figure[] = [];
  const callbacks: PanelCallbacks = {
    plot: (_container, figure) => {
      figures.push(figure);
    },
    setOptions: () => undefined,
    exportHeader: () => undefined,
    exportBundle: () => undefined,
    exportArduino: () => undefined,
    reportAgreement: () => undefined
  };
  const panel = new InspectorPanel(callbacks, computation);
  document.body.appendChild(panel.node);
  const shown = () => ({
    text: panel.node.textContent,
    figures: figures.map(f => JSON.stringify({ id: f.id, data: f.data, layout: f.layout }))
  });
  return { panel, figures, shown };
}

afterEach(() => document.body.replaceChildren());

describe('runInPieces', () => {
  function* pieces(done: string[]) {
    try {
      done.push('a');
      yield;
      done.push('b');
      yield;
      done.push('c');
      return 'result';
    } finally {
      done.push('closed');
    }
  }

  it('pauses before every piece and returns the result', async () => {
    const done: string[] = [];
    let pauses = 0;
    const pause = async () => {
      pauses++;
    };
    expect(await runInPieces(pieces(done), () => false, pause)).toBe('result');
    expect(done).toEqual(['a', 'b', 'c', 'closed']);
    expect(pauses).toBe(3);
  });

  it('stops at the first pause after it went stale, and closes the steps', async () => {
    const done: string[] = [];
    expect(await runInPieces(pieces(done), () => done.length >= 2)).toBeNull();
    expect(done).toEqual(['a', 'b', 'closed']);
  });
});

describe('serveComputations', () => {
  it('answers the latest of two quick requests; the older one is superseded', async () => {
    const [page, computer] = localPorts();
    serveComputations(computer);
    const replies: ComputeReply[] = [];
    const answered = new Promise<void>(resolve => {
      page.onmessage = event => {
        replies.push(event.data as ComputeReply);
        if (replies.filter(r => r.type !== 'early').length === 2) {
          resolve();
        }
      };
    });
    const state = stateFor('wine_forest');
    const options = state.options;
    const inputs = { ir: state.ir, data: state.data, calibration: undefined };
    page.postMessage({ type: 'compute', id: 1, request: { options, inputs } });
    // the second carries no inputs: they are the first's
    page.postMessage({ type: 'compute', id: 2, request: { options: { ...options, featureType: 'int16' } } });
    await answered;
    // the charts that need no device run go ahead of the result: the structure and the flash
    expect(replies.map(r => [r.id, r.type])).toEqual([
      [1, 'superseded'],
      [2, 'early'],
      [2, 'result']
    ]);
    const early = replies[1].type === 'early' ? replies[1].figures : [];
    expect(early.map(f => f.id)).toEqual(['tree-sizes', 'leaf-depths', 'flash-breakdown']);
    const result = replies[2].type === 'result' ? replies[2].result : null;
    expect(result?.model.options.featureType).toBe('int16');
  });

  it('answers an error with its message, and the next request still computes', async () => {
    const [page, computer] = localPorts();
    serveComputations(computer);
    const next = () => new Promise<ComputeReply>(resolve => (page.onmessage = e => resolve(e.data as ComputeReply)));
    const state = stateFor('wine_forest');
    const inputs = { ir: state.ir, data: state.data, calibration: undefined };
    page.postMessage({ type: 'compute', id: 1, request: { options: { name: 'my model' }, inputs } });
    expect(await next()).toEqual({
      type: 'error',
      id: 1,
      message: expect.stringContaining('not a usable C identifier')
    });
    page.postMessage({ type: 'compute', id: 2, request: { options: { name: 'model' } } });
    expect((await next()).type).toBe('early');
    expect((await next()).type).toBe('result');
  });

  it('lets a port go when its Inspector closes it, and answers nothing more on it', async () => {
    const [page, computer] = localPorts();
    const close = jest.fn();
    computer.close = close;
    serveComputations(computer);
    const replies: unknown[] = [];
    page.onmessage = event => replies.push(event.data);
    page.postMessage({ type: 'close' });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(computer.onmessage).toBeNull();
    expect(close).toHaveBeenCalled();
    expect(replies).toEqual([]);
  });
});

describe('InspectorComputation', () => {
  it('sends the model and rows only when they changed', async () => {
    const { worker, sent } = clonedWorker();
    const computation = new InspectorComputation(async () => worker);
    const state = stateFor('wine_forest');
    await computation.compute(state);
    await computation.compute({ ...state, options: { ...state.options, featureType: 'int16' } });
    await computation.compute({ ...state, data: { ...state.data } });
    expect(sent.map(m => m.request.inputs !== undefined)).toEqual([true, false, true]);
  });

  it.each([
    ['wine_forest', {}],
    ['wine_forest', { featureType: 'int16' as const, strategy: 'inline' as const }],
    ['digits_mlp', { featureType: 'int8' as const }]
  ])(
    '%s %o: draws through a structured clone exactly what it draws computed on the page',
    async (name, options) => {
      const here = makePanel();
      const there = makePanel(new InspectorComputation(async () => clonedWorker().worker));
      const local = await here.panel.render(stateFor(name, options));
      const cloned = await there.panel.render(stateFor(name, options));
      expect(cloned).not.toBeNull();
      expect(there.shown()).toEqual(here.shown());
      expect(cloned?.model.header).toBe(local?.model.header);
    },
    30000
  );

  it('computes on the page when the worker fails to start, the latest request first', async () => {
    const worker: WorkerPort = { onmessage: null, onerror: null, postMessage: () => undefined, terminate: jest.fn() };
    const computation = new InspectorComputation(async () => worker);
    const state = stateFor('wine_forest');
    const first = computation.compute(state);
    const second = computation.compute({ ...state, options: { ...state.options, featureType: 'int16' } });
    await new Promise(resolve => setTimeout(resolve, 0));
    worker.onerror?.(new Event('error')); // e.g. its script did not load
    expect(await first).toBeNull();
    expect((await second)?.model.options.featureType).toBe('int16');
    expect(worker.terminate).toHaveBeenCalled();
  });
});

describe('InspectorPanel while it computes', () => {
  it('says "computing…" in the verdict line until the results are drawn, never a previous verdict', async () => {
    const { panel } = makePanel();
    await panel.render(stateFor('wine_forest'));
    expect(panel.node.querySelector('.tml-verdict-agreement')?.textContent).toContain('agrees');
    const rendering = panel.render(stateFor('wine_forest', { featureType: 'int16' }));
    await new Promise(resolve => setTimeout(resolve, 0)); // the old panel goes in the next task
    expect(panel.node.querySelector('.tml-verdict')?.textContent).toContain('computing…');
    expect(panel.node.querySelector('.tml-verdict-agreement')).toBeNull();
    expect(panel.node.querySelector('.tml-tradeoffs')).toBeNull();
    await rendering;
    expect(panel.node.querySelector('.tml-verdict-computing')).toBeNull();
    expect(panel.node.querySelector('tr.tml-selected')?.getAttribute('data-option')).toBe('int16 · tables');
  });

  it('draws only the latest of quick switches', async () => {
    const { panel, figures } = makePanel();
    const first = panel.render(stateFor('wine_forest'));
    const second = panel.render(stateFor('wine_forest', { featureType: 'int16' }));
    expect(await first).toBeNull();
    const result = await second;
    expect(result?.model.options.featureType).toBe('int16');
    expect(panel.node.querySelectorAll('.tml-verdict')).toHaveLength(1);
    expect(figures.filter(f => f.id === 'tradeoff')).toHaveLength(1);
  });
});
