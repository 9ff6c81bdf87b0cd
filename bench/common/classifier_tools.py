"""Exporters shared by bench/trees and bench/boosting: TinyML Lab's and m2cgen's. Each writes
the generated model code plus classifier_bench.py's `bench_predict.c` wrapper; the wrapper is
part of what is measured (it is where a tool's calling convention is adapted, e.g. m2cgen's
double inputs and probability output)."""
import sys
from pathlib import Path

from classifier_bench import write_wrapper


def tinyml_exporter(dtype: str, strategy: str = "tables"):
    def export(model, directory: Path) -> None:
        import tinyml_lab

        tinyml_lab.convert(model, name="m", dtype=dtype, strategy=strategy).save(str(directory / "model.h"))
        write_wrapper(directory, '#include "model.h"', "    return m_predict(x);")

    return export


def m2cgen_export(model, directory: Path) -> None:
    """m2cgen emits `void score(double *input, double *output)` with class probabilities; the
    wrapper widens the features to double and takes the first largest probability, which is
    what scikit-learn's (and XGBoost's, LightGBM's) predict does."""
    import m2cgen

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # deep forests recurse
    (directory / "model.c").write_text(m2cgen.export_to_c(model, function_name="score"))
    n_features, n_classes = model.n_features_in_, len(model.classes_)
    body = f"""    double input[{n_features}], output[{n_classes}];
    for (int i = 0; i < {n_features}; i++) input[i] = x[i];
    score(input, output);
    int32_t best = 0;
    for (int32_t k = 1; k < {n_classes}; k++)
        if (output[k] > output[best]) best = k;
    return best;"""
    write_wrapper(directory, '#include "model.c"', body)
