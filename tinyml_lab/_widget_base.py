"""The base class of the widgets' Python halves: the JavaScript module and version they ask
the browser for, set once."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from traitlets import Unicode

from ._version import __version__

#: package.json "name": the JavaScript module the widgets ask for and the labextension's folder
#: (tests/python/test_package.py checks it against package.json)
NPM_PACKAGE = "tinyml-lab"
MODULE_NAME = NPM_PACKAGE
#: any compatible release of the JavaScript half (src/version.ts reads package.json)
MODULE_VERSION = f"^{__version__}"
#: src/reconnect.ts RECONNECT_MIMETYPE: in the display data of every widget of ours
RECONNECT_MIMETYPE = "application/vnd.tinyml-lab.widget+json"


class TinyMLWidget(widgets.DOMWidget):
    """A DOMWidget whose model and view come from the tinyml-lab JavaScript module. Subclasses
    set ``_model_name`` and ``_view_name``, the class names registered in src/index.ts."""

    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        """ipywidgets' display data, and a marker saying which of our widgets it is: reopened
        without its kernel, the notebook shows "run the cell again" there (src/reconnect.ts)
        instead of the widget manager's "model not found"."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle[RECONNECT_MIMETYPE] = {"widget": type(self).__name__}
        return bundle


__all__ = ["MODULE_NAME", "MODULE_VERSION", "TinyMLWidget"]
