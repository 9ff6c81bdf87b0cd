/** JupyterLab plugin: registers the TinyML Lab widgets with the ipywidgets manager. */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';

import { watchOrphanedWidgets } from './reconnect';
import { MODULE_NAME, MODULE_VERSION } from './version';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'tinyml-lab:widgets',
  description: 'TinyML Lab model inspector widgets',
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate: (app: JupyterFrontEnd, registry: IJupyterWidgetRegistry): void => {
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      // Loaded when a notebook first shows a widget, not when JupyterLab starts.
      exports: async () => import('./widgets/index')
    });
    // a saved widget without its kernel: say "run the cell", not "model not found"
    void app.restored.then(() => watchOrphanedWidgets(app));
  }
};

export default plugin;
