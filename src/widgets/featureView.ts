/**
 * ipywidgets adapter for the FeatureView: the TypeScript half of
 * tinyml_lab.feature_view.FeatureView (same class names, same traits). The kernel sends the
 * signal, the parameters, the model and its float64 reference; the browser runs the C runtime
 * (FeatureViewPanel, src/core/features/view.ts) and writes its results back into `device`.
 */
import { DOMWidgetModel, DOMWidgetView, ISerializers } from '@jupyter-widgets/base';

import { MODULE_NAME, MODULE_VERSION } from '../version';
import { FeatureViewPanel } from './featurePanel';
import { Plots } from './plotly';

export class FeatureViewModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: FeatureViewModel.model_name,
      _model_module: FeatureViewModel.model_module,
      _model_module_version: FeatureViewModel.model_module_version,
      _view_name: FeatureViewModel.view_name,
      _view_module: FeatureViewModel.view_module,
      _view_module_version: FeatureViewModel.view_module_version,
      signal: {},
      params: {},
      model: {},
      reference: {},
      device: {}
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers };

  static model_name = 'FeatureViewModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'FeatureViewView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

export class FeatureViewView extends DOMWidgetView {
  private panel!: FeatureViewPanel;
  private readonly plots = new Plots();
  private renderCount = 0;

  render(): void {
    this.panel = new FeatureViewPanel({
      plot: this.plots.draw,
      reportDevice: device => {
        this.model.set('device', device);
        this.model.save_changes();
      }
    });
    this.el.appendChild(this.panel.node);
    // `device` is ours to write: only the kernel's traits trigger a new run.
    this.listenTo(
      this.model,
      'change:signal change:params change:model change:reference',
      () => void this.update_panel()
    );
    void this.update_panel();
  }

  private async update_panel(): Promise<void> {
    // The kernel sends its traits together (hold_sync); coalesce the change events of one update.
    const count = ++this.renderCount;
    await Promise.resolve();
    if (count === this.renderCount) {
      this.plots.purge();
      await this.panel.render({
        signal: this.model.get('signal'),
        params: this.model.get('params'),
        model: this.model.get('model'),
        reference: this.model.get('reference')
      });
    }
  }

  remove(): void {
    this.plots.dispose();
    super.remove();
  }
}
