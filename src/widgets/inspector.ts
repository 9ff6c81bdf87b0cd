/**
 * ipywidgets adapter for the Inspector: the TypeScript half of tinyml_lab.widget.Inspector
 * (same class names, same traits). All drawing happens in InspectorPanel.
 */
import { DOMWidgetModel, DOMWidgetView, ISerializers } from '@jupyter-widgets/base';

import { MODULE_NAME, MODULE_VERSION } from '../version';
import { packedArraysSerializer } from './buffers';
import { InspectorComputation } from './inspectorCompute';
import { InspectorPanel, InspectorState } from './panel';
import { Plots } from './plotly';

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
      export_status: '',
      can_run_bundle: false,
      target: 'cortex-m4f'
    };
  }

  static serializers: ISerializers = {
    ...DOMWidgetModel.serializers,
    ir: packedArraysSerializer,
    data: packedArraysSerializer
  };

  static model_name = 'InspectorModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'InspectorView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

export class InspectorView extends DOMWidgetView {
  private panel!: InspectorPanel;
  private readonly plots = new Plots();
  private renderCount = 0;

  render(): void {
    this.panel = new InspectorPanel(
      {
        plot: this.plots.draw,
        keepPlots: keep => this.plots.keepOnly(keep),
        setTarget: target => {
          // the kernel's exports choose "auto"'s code form for it, as the panel does
          this.model.set('target', target);
          this.model.set('options', { ...this.model.get('options'), target });
          this.model.save_changes();
        },
        setOptions: options => {
          this.model.set('options', { ...this.model.get('options'), ...options });
          this.model.save_changes();
        },
        exportHeader: (path: string) => this.send({ event: 'export', path }),
        exportBundle: ({ path, nVectors, run }) =>
          this.send({ event: 'export_bundle', path, n_vectors: nVectors, run }),
        exportArduino: ({ path, nVectors }) => this.send({ event: 'export_arduino', path, n_vectors: nVectors }),
        reportAgreement: summary => {
          this.model.set('agreement', summary);
          this.model.save_changes();
        }
      },
      // the compiler core and the device runs in a Web Worker; on the page (a piece per task) if none starts
      new InspectorComputation(async () =>
        typeof Worker === 'undefined' ? null : (await import('./startWorker')).startComputeWorker()
      )
    );
    this.panel.setExportStatus(this.model.get('export_status'));
    this.el.appendChild(this.panel.node);
    this.listenTo(
      this.model,
      'change:ir change:options change:data change:can_run_bundle change:target',
      () => void this.update_panel()
    );
    this.listenTo(this.model, 'change:export_status', () =>
      this.panel.setExportStatus(this.model.get('export_status'))
    );
    void this.update_panel();
  }

  private async update_panel(): Promise<void> {
    // A newer render supersedes an older one that is still waiting for Plotly.
    const count = ++this.renderCount;
    const state: InspectorState = {
      ir: this.model.get('ir'),
      options: this.model.get('options'),
      data: this.model.get('data'),
      bundleRunnable: this.model.get('can_run_bundle') === true,
      target: this.model.get('target')
    };
    if (count === this.renderCount) {
      await this.panel.render(state);
    }
  }

  remove(): void {
    // Plotly's resize listeners and the theme observer would outlive the view otherwise.
    this.plots.dispose();
    this.panel.dispose();
    super.remove();
  }
}
