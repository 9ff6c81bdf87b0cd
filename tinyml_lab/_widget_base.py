"""The base class of the widgets' Python halves: the JavaScript module and version they ask
the browser for, set once."""

from __future__ import annotations

import ipywidgets as widgets
from traitlets import Unicode

from ._version import __version__

#: package.json "name": the JavaScript module the widgets ask for and the labextension's folder
#: (tests/python/test_package.py checks it against package.json)
NPM_PACKAGE = "tinyml-lab"
MODULE_NAME = NPM_PACKAGE
#: any compatible release of the JavaScript half (src/version.ts reads package.json)
MODULE_VERSION = f"^{__version__}"


class TinyMLWidget(widgets.DOMWidget):
    """A DOMWidget whose model and view come from the tinyml-lab JavaScript module. Subclasses
    set ``_model_name`` and ``_view_name``, the class names registered in src/index.ts."""

    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)


__all__ = ["MODULE_NAME", "MODULE_VERSION", "TinyMLWidget"]
