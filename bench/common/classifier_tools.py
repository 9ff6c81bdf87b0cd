"""Exporters shared by bench/trees and bench/boosting: TinyML Lab's and m2cgen's. Each writes
the generated model code plus classifier_bench.py's `bench_predict.c` wrapper; the wrapper is
part of what is measured (it is where a tool's calling convention is adapted, e.g. m2cgen's
double inputs and probability output)."""
import sys
from pathlib import Path

from classifier_bench import write_wrapper

#: A regressor's wrapper returns the float32 prediction's bits (equal bits: equal value), which
#: the benchmark compares with scikit-learn's prediction rounded to float32.
FLOAT_BITS = """    int32_t bits;
    memcpy(&bits, &y, sizeof bits);
    return bits;"""


def is_regressor(model) -> bool:
    from sklearn.base import is_regressor as sklearn_is_regressor

    return sklearn_is_regressor(model)


def tinyml_exporter(dtype: str, strategy: str = "tables"):
    def export(model, directory: Path) -> None:
        import tinyml_lab

        tinyml_lab.convert(model, name="m", dtype=dtype, strategy=strategy).save(str(directory / "model.h"))
        if is_regressor(model):
            body = f"    float y = 0.0f;\n    m_predict(x, &y);\n{FLOAT_BITS}"
            write_wrapper(directory, '#include <string.h>\n#include "model.h"', body)
        else:
            write_wrapper(directory, '#include "model.h"', "    return m_predict(x);")

    return export


def m2cgen_export(model, directory: Path) -> None:
    """m2cgen emits `void score(double *input, double *output)` with class probabilities; the
    wrapper widens the features to double and takes the first largest probability, which is
    what scikit-learn's (and XGBoost's, LightGBM's) predict does."""
    import m2cgen

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # deep forests recurse
    (directory / "model.c").write_text(m2cgen.export_to_c(model, function_name="score"))
    n_features = model.n_features_in_
    if is_regressor(model):  # m2cgen: double score(double *input)
        body = f"""    double input[{n_features}];
    for (int i = 0; i < {n_features}; i++) input[i] = x[i];
    float y = (float)score(input);
{FLOAT_BITS}"""
        write_wrapper(directory, '#include <string.h>\n#include "model.c"', body)
        return
    n_classes = len(model.classes_)
    body = f"""    double input[{n_features}], output[{n_classes}];
    for (int i = 0; i < {n_features}; i++) input[i] = x[i];
    score(input, output);
    int32_t best = 0;
    for (int32_t k = 1; k < {n_classes}; k++)
        if (output[k] > output[best]) best = k;
    return best;"""
    write_wrapper(directory, '#include "model.c"', body)
