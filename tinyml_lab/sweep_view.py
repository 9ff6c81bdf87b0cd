"""SweepView: the Python half of src/widgets/sweepView.ts (same class names).

Shows a sweep's Pareto chart (flash against accuracy, agreement or RMSE on the target) and
the table of every point; ``tinyml_lab.sweep(...).show()`` makes one.
"""

from __future__ import annotations

from traitlets import Int, List, Unicode

from ._widget_base import TinyMLWidget
from .sweep import SweepResult


class SweepView(TinyMLWidget):
    """A sweep result drawn in JupyterLab: Pareto chart and point table."""

    _model_name = Unicode("SweepModel").tag(sync=True)
    _view_name = Unicode("SweepView").tag(sync=True)

    #: SweepResult.to_records(): one dict per point, with "label" and "on_front"
    points = List().tag(sync=True)
    metric = Unicode("accuracy").tag(sync=True)
    target = Unicode("").tag(sync=True)
    flash_budget = Int(0).tag(sync=True)
    ram_budget = Int(0).tag(sync=True)

    def __init__(self, result: SweepResult, **kwargs):
        super().__init__(points=result.to_records(), metric=result.metric, target=result.target,
                         flash_budget=result.flash_budget, ram_budget=result.ram_budget, **kwargs)
        self.result = result


__all__ = ["SweepView"]
