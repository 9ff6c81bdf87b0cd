"""Behaviour lock: every golden case (tests/fixtures/golden/cases.json: 54 models covering
every family, task and export option) compiles to the same header, tables, estimates and
device outputs as recorded in expected.json before the code moved into per-family modules
(issue 13). Only the compiler version in banners is ignored (see golden.normalized_header).

One field was recorded again, once, on purpose: `header`, the full text outside the embedded
runtime, when the generated functions became one-line calls of the runtime's model methods
(tml_forest_predict_proba, tml_gauss_predict_label, ...) and the anomaly models' structs got
their offset. Everything a firmware project or a user sees stayed as recorded before the move
and is still compared: the header's macros, its const tables and its public function
signatures (`header_*`), the outputs of every header compiled by gcc (`gcc`) and of the
WebAssembly runtime (`device`), sizes, target estimates, structure and the bundles' test
vectors. The bundle file list gained model_glue.h when the harness became a real file.

Since then (issue 14, after the move) every header says what its model does with a NaN or
infinite feature and gained `<name>_check_input`: `header` and `header_functions` were recorded
again for that; nothing else changed.

Issue 15 (missing values, categorical splits, the exp link) changed no output of any case. It
recorded again, for the tree cases only: `size` and `targets` of all 24, because tml_forest_t
gained four fields (node_missing_left, category_bits, n_category_sets, category_words), 16
bytes of flash in every model's descriptor, which the estimate now counts as sizeof gives it
on Cortex-M4F (112 bytes; it had missed the isolation offset's field before); and `header`,
`header_tables` and `tables` of the six int16 cases, because NaN now has an int16 code of its
own (INT16_MAX) and large inputs saturate one below it, so int16 thresholds stay below 32766
and the offsets that centre a feature's thresholds in that one-code-narrower range moved by at
most 1. Their `device` and `gcc` outputs are unchanged. Then `size` and `targets` of the six
inline tree cases, once more: the inline code's bytes per split and per tree were refitted on
forests and boosted models together (float32 23 + 10 per tree, was 21 + 14; int16 15 per
split, was 14); and `targets` of the two int8 inline cases, whose AVR code factor was refitted
on avr-clang (1.2, was 1.35). Last, `targets` of the three mean forests that are not
classifiers (etr_diabetes, iso_wine, iso_wine_leaf_int16_inline): their soft-float library
bytes were those of a boosted sum, which does not divide; measured again (Cortex-M3 and M0+),
a mean regressor pulls in a classifier's division and the isolation score's exp2 comes on top
of that. Then `size` and `targets` of the eight inline tree cases (dt_iris_inline: `targets`
only): inline code is priced per core from what it holds (splits, leaf rows above 255, far
branches, NaN tests, categorical tests, threshold literals; bench/size/fit_inline_code.py) in
place of bytes per split and tree on Cortex-M4F scaled by a factor per core.

Issue 16 recorded again `size` and `targets` of the network and linear cases: the runtime's
code gained the depthwise kernels (134 B float32 and 424 B int8 in a multi-layer net, 236 B in
a single int8 layer, measured), which every network header links. Their headers, tables and
outputs are unchanged. Then, for graphs (branches, skip connections, merges), `size` and
`targets` of every case with a network or a pipeline's preprocessing net once more: the layer
descriptor gained six fields (where each input comes from, the second input's place and
quantization, the activation's parameter: 140 bytes, was 116) and the runtime the merge,
padding and upsampling kernels and four activations (float32 +352 / +84 B, int8 +908 / +264 B
in a multi-layer / one-layer net, measured); and `header` and
`header_tables` of the three Keras convolution cases, whose layers' arena offsets now come from
the lifetime planner (largest tensor first at the lowest free offset) in place of the two ends
of the arena taken in turn: the same arena size, other offsets, the same outputs. Last,
every header with a network or a pipeline's preprocessing net (`header`, `header_macros`):
it now defines <NAME>_NET_LAYERS and <NAME>_NET_ACTIVATIONS, the kernels it compiles in, and
checks them after the runtime; and `size` and `targets` of the network and linear cases,
whose runtime code is priced from those kernels (bench/size/fit_net_code.py: a dense base,
each other kind and activation added one at a time; a single layer folded with its
descriptor; expf and tanhf only when an activation calls them). Outputs unchanged. Then
`header`, `header_macros`, `size`, `structure`, `tables` and `targets` of keras_conv1d_int8:
an int8 convolution with a kernel larger than 1x1 gathers each window into a buffer at the
end of the arena (its kernel_h x kernel_w x in_c bytes, rounded to 4), so its arena and the
live bytes of that layer grew by them; its outputs are unchanged. And once more the same six
fields of keras_conv1d_int8: the buffer holds the windows of two neighbouring positions, summed
together (tml_net_dot2x2_i8), so it doubled; outputs unchanged. With that, `size` and `targets`
of the int8 network cases: the int8 kernels gained the two-by-two and four-row dot products and
the requantization that computes a channel's part once (int8 base code 2,612 -> 3,704 B on
Cortex-M4F, bench/size/fit_net_code.py), and their instruction costs (describeNet's int8 dense
and convolution multiply-adds and outputs, refitted on tests/python/test_cycles_calibration.py);
outputs unchanged.

Issue 17 recorded again `header`, `header_tables`, `header_functions`, `size` and `targets` of
the 24 tree cases, and nothing else (their `gcc` and `device` outputs are unchanged): predict is
generated for the model (a single tree's leaf class, pure leaves' votes, the sum of float32
leaf rows), table models walk packed split tables (8-bit feature codes with a NaN-left flag,
16-bit children, leaves as references past the splits) through a generated walk that the
descriptor's tree_leaf points at, inline splits call tml_le_f32 / tml_gt_f32 (integer compares
of the float bits on cores without an FPU), a quantized model's own code reads its scales as
int8 exponents and its offsets as int16 (the descriptor keeps the float tables), and the
estimates price all that (no descriptor or leaf rows behind a generated predict, split and
per-tree instruction costs refitted, the RV32IMC and AVR inline code factors refitted on clang).
Then `header`, `size` and `targets` of the six inline tree cases whose predict is generated (their
outputs are unchanged): inline predict is one function holding every tree, whose leaves return
their class, vote, or add their non-zero leaf values to sums held in locals, where it called a
function per tree and looked its leaf row up; the estimates price those leaves.

Issue 19 recorded again `targets` of all 54 cases, and nothing else: every target estimate
gained `operations` (the M4F operations it prices, tree split compares apart) and
`instructions` (a core's own count where fitted, else null), and the ESP32-C3 figures were
refitted to riscv64-unknown-elf-gcc + picolibc sizes and qemu-system-riscv32 counts (RV32IMC
library bytes measured per class, code factors, OwnInstructions in profiles.ts).

Issue 19 recorded again `header`, `header_tables`, `bundle_vectors` and `targets` of every case:
every const table is declared `TML_CONST_TABLE` (PROGMEM on AVR, empty elsewhere) and the
generated code reads tables through TML_READ_* (plain reads off AVR), the test vectors include
the model header for those macros, and the AVR estimate counts only descriptors and class
names in RAM, no longer the tables. `gcc` and `device` outputs are unchanged, and so are the
Cortex-M4F and M0+ object sizes of the 56 calibration headers (text + data, byte for byte).
Merging those branches recorded every case again, with all of the above together.

Issue 17's strategy="auto" chooses for a target profile (CompileOptions.target, Cortex-M4F
unless given): the fastest code form whose flash and RAM fit the profile's part, where it
chose the smaller flash before. `rf_wine_auto` was recorded again (`strategy` tables -> inline,
with its `header`, `header_functions`, `size` and `targets`; outputs unchanged): inline is
~180 cycles against ~575 on Cortex-M4F, and both fit. One case was added, `gb_wine_auto_avr`
(30 boosting rounds, "auto" for AVR): recorded with tables while the AVR profile priced its
inline code at ~60 KiB, over the ATmega328P's 32 KiB; with the avr-gcc refit below inline is
29.5 KiB and ~28,851 cycles against tables' 7.8 KiB and ~49,430, so auto picks inline.

Issue 19 recorded again `targets` of all 54 cases, and nothing else: the AVR figures were
refitted to avr-gcc + avr-libc sizes (AVR library bytes measured per class, gcc code factors,
inline trees priced per split, far feature, leaf and tree: AVR_INLINE_CODE) and to simavr's
cycle counts (AVR_CYCLES in profiles.ts). Of the other targets' figures only the flash of the
three single-tree cases (dt_iris_*) changed: a classifier whose generated predict votes with
each leaf's class over float32 splits links no C library on any core (measured on a 20-tree
forest of pure leaves: arm-none-eabi-gcc, riscv64 and avr-gcc add none), which was counted.
Merging both recorded the 55 cases' `targets` again.
Then `targets` of the 23 tree cases: their operations gain `leafAdds` (a generated predict's
adds of leaf constants, priced 35 RV32IMC instructions each, fitted on QEMU) and a fused
predict counts a float add only for a leaf row's non-zero values, as its code does; the
RV32IMC inline float32 code factor is 1.45 (riscv64 gcc on the fused predict: 1.29-1.73x).
Issue 19 recorded the 55 cases' `targets` again: AVR's RAM counts only the descriptors avr-gcc
keeps out of program memory (a net's tml_net_t; none of the other families', which it folds
into the code) and, for nets of two or more layers, AVR's cycles of copying each layer
descriptor out of program memory (about 2,050 a layer, simavr), and the `header` of the nets
and pipelines: a net of two or more layers keeps
its layer descriptors in program memory (TML_CONST_TABLE, .layers_in_program_memory = 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden import observe

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
CASES = json.loads((GOLDEN / "cases.json").read_text())
EXPECTED = json.loads((GOLDEN / "expected.json").read_text())


def test_the_cases_cover_every_family_task_and_option():
    families = {c["ir"]["family"] for c in CASES}
    assert families == {"tree_ensemble", "neural_net", "gaussian", "svm", "neighbors"}
    assert {c["ir"]["task"] for c in CASES} == {"classification", "regression", "anomaly"}
    options = {(c["options"].get("featureType", "float32"), c["options"].get("leafType", "float32"),
                c["options"].get("strategy", "tables")) for c in CASES}
    assert {o[0] for o in options} == {"float32", "int16", "int8"}
    assert {o[1] for o in options} == {"float32", "uint8", "int16"}
    assert {o[2] for o in options} == {"tables", "inline", "auto"}
    assert len(CASES) >= 40 and set(EXPECTED) == {c["name"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_behaves_as_recorded(case):
    observed = observe(case)
    expected = EXPECTED[case["name"]]
    differing = {k: (expected.get(k), v) for k, v in observed.items() if expected.get(k) != v}
    assert not differing, f"{case['name']}: changed {sorted(differing)}"
