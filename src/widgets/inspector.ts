/**
 * ipywidgets adapter for the Inspector: the TypeScript half of tinyml_lab.widget.Inspector
 * (same class names, same traits). All drawing happens in InspectorPanel.
 */
import { DOMWidgetModel, DOMWidgetView, ISerializers } from '@jupyter-widgets/base';

import { MODULE_NAME, MODULE_VERSION } from '../version';
import { Figure } from './charts';
import { InspectorPanel, InspectorState } from './panel';

export class InspectorModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: InspectorModel.model_name,
      _model_module: InspectorModel.model_module,
      _model_module_version: InspectorModel.model_module_version,
      _view_name: InspectorModel.view_name,
      _view_module: InspectorModel.view_module,
      _view_module_version: InspectorModel.view_module_version,
      ir: {},
      options: {},
      data: {},
      agreement: {},
      export_status: ''
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers };

  static model_name = 'InspectorModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'InspectorView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

type PlotlyElement = { on(event: 'plotly_click', handler: (event: { points: Array<{ pointIndex: number }> }) => void): void };
type PlotlyModule = { react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown>; purge(el: HTMLElement): void };

let plotlyPromise: Promise<PlotlyModule> | null = null;

/** Plotly is large: load it on first use only. */
function loadPlotly(): Promise<PlotlyModule> {
  if (!plotlyPromise) {
    plotlyPromise = import('plotly.js-cartesian-dist-min').then(m => (m.default ?? m) as PlotlyModule);
  }
  return plotlyPromise;
}

export class InspectorView extends DOMWidgetView {
  private panel!: InspectorPanel;
  private renderCount = 0;

  render(): void {
    this.panel = new InspectorPanel({
      plot: async (container: HTMLElement, figure: Figure) => {
        const Plotly = await loadPlotly();
        await Plotly.react(container, figure.data, figure.layout, { displaylogo: false, responsive: true });
        const onPointClick = figure.onPointClick;
        if (onPointClick) {
          // Plotly adds an event emitter to the container it draws into.
          (container as unknown as PlotlyElement).on('plotly_click', event => onPointClick(event.points[0].pointIndex));
        }
      },
      setOptions: options => {
        this.model.set('options', { ...this.model.get('options'), ...options });
        this.model.save_changes();
      },
      exportHeader: (path: string) => this.send({ event: 'export', path }),
      reportAgreement: summary => {
        this.model.set('agreement', summary);
        this.model.save_changes();
      }
    });
    this.el.appendChild(this.panel.node);
    this.listenTo(this.model, 'change:ir change:options change:data', () => void this.update_panel());
    this.listenTo(this.model, 'change:export_status', () => this.panel.setExportStatus(this.model.get('export_status')));
    void this.update_panel();
  }

  private async update_panel(): Promise<void> {
    // A newer render supersedes an older one that is still waiting for Plotly.
    const count = ++this.renderCount;
    const state: InspectorState = {
      ir: this.model.get('ir'),
      options: this.model.get('options'),
      data: this.model.get('data')
    };
    if (count === this.renderCount) {
      await this.panel.render(state);
    }
  }
}
