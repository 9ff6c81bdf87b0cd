"""The model IR's public names, kept where users import them from (``tinyml_lab.ir``).

The code lives elsewhere: the array codec and the feature-row checks in tinyml_lab/arrays.py,
the readers and their registry (``model_to_ir``) in tinyml_lab/readers/ (one module per source
library or family), the IR envelope in tinyml_lab/readers/envelope.py. See docs/ir.md.
"""

from .arrays import check_features, decode_array, encode_array, input_count
from .readers import model_to_ir, supported_estimators
from .readers.envelope import IR_FORMAT, IR_VERSION, estimator_name
from .readers.sklearn_trees import (
    ANOMALY_ESTIMATORS,
    BOOSTING_ESTIMATORS,
    FOREST_ESTIMATORS,
    MAX_FEATURES,
    TREE_ESTIMATORS,
    average_path_length,
)

__all__ = [
    "ANOMALY_ESTIMATORS",
    "BOOSTING_ESTIMATORS",
    "FOREST_ESTIMATORS",
    "IR_FORMAT",
    "IR_VERSION",
    "MAX_FEATURES",
    "TREE_ESTIMATORS",
    "average_path_length",
    "check_features",
    "decode_array",
    "encode_array",
    "estimator_name",
    "input_count",
    "model_to_ir",
    "supported_estimators",
]
