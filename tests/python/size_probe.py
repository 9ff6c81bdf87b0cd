"""The firmware main the size tests link an exported header into: it calls predict on
volatile inputs (so nothing is optimised away) or, for the empty baseline, only touches them.
The bytes a model adds are the difference of the two builds. Shared by
test_estimates_calibration.py (arm-none-eabi-gcc) and test_isa_code_size.py (clang, RV32/AVR)."""

from __future__ import annotations

#: How main calls each kind of model's predict.
CLASSIFY = "tml_out = model_predict(x);"
REGRESS = "float y; model_predict(x, &y); tml_out = (int32_t)y;"
ANOMALY = "int32_t label; model_predict(x, &label); tml_out = label;"


def probe_main(n_features: int, call: str | None) -> str:
    """main.c calling model.h's predict with `call`, or the empty baseline when call is None."""
    include = '#include "model.h"\n' if call else ""
    return f"""{include}#include <stdint.h>
volatile float tml_in[{n_features}];
volatile int32_t tml_out;
int main(void) {{
  float x[{n_features}];
  for (int i = 0; i < {n_features}; i++) x[i] = tml_in[i];
  {call or "tml_out = (int32_t)x[0];"}
  return 0;
}}
"""
