/*
 * main.c: the test harness of a TinyML Lab export bundle (the same for every model). Portable C99.
 * Runs every vector of test_vectors.h through the model and prints, per set of expected
 * outputs, "<set>: vectors N, labels equal N, max abs error E, within tolerance N/N, PASS|FAIL"
 * and finally "RESULT PASS" or "RESULT FAIL". Output and exit go through target.h.
 * Each inference runs between tv_inference_begin() and tv_inference_end(), so an instruction
 * trace (QEMU, a debugger, a cycle counter) can be cut per inference; a target with a cycle
 * counter (TARGET_CYCLES, target.h) has each inference's cycles printed as well. How this
 * bundle's model is called (its header, tv_validate, tv_predict, tv_outputs) is generated in
 * model_glue.h. The test vectors are tables (in program memory on AVR: TML_CONST_TABLE), so
 * their elements are read through TML_READ_* (tinyml/progmem.h, in the model header).
 */
#include <stdint.h>

#include "target.h"
#include "test_vectors.h"

#if defined(__GNUC__)
#define TV_NOINLINE __attribute__((noinline))
#else
#define TV_NOINLINE
#endif

#include "model_glue.h"

/* ---- markers: distinct functions that are never inlined, so a trace sees them ---------- */
void tv_inference_begin(int32_t vector);
void tv_inference_end(void);

TV_NOINLINE void tv_inference_begin(int32_t vector)
{
#if defined(__GNUC__)
    __asm__ volatile("" : : "r"(vector)); /* keeps the call: the compiler cannot see through asm */
#else
    (void)vector;
#endif
}

TV_NOINLINE void tv_inference_end(void)
{
#if defined(__GNUC__)
    __asm__ volatile("");
#endif
}

/* ---- printing without printf (newlib-nano's drops floats; this needs no heap) --------- */
static void tv_put_int(int32_t v)
{
    char text[12];
    char *p = text + sizeof text - 1;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    *p = '\0';
    do {
        *--p = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0u);
    if (v < 0) {
        *--p = '-';
    }
    target_write(p);
}

/* Three significant digits, scientific: 1.23e-05. */
static void tv_put_float(float v)
{
    char text[12];
    int n = 0;
    int32_t exponent = 0;
    int32_t digits;
    if (v != v) {
        target_write("nan");
        return;
    }
    if (v < 0.0f) {
        text[n++] = '-';
        v = -v;
    }
    if (v > 3.4e38f) {
        text[n++] = 'i';
        text[n++] = 'n';
        text[n++] = 'f';
        text[n] = '\0';
        target_write(text);
        return;
    }
    if (v > 0.0f) {
        while (v >= 10.0f) {
            v /= 10.0f;
            exponent++;
        }
        while (v < 1.0f) {
            v *= 10.0f;
            exponent--;
        }
    }
    digits = (int32_t)(v * 100.0f + 0.5f);
    if (digits >= 1000) { /* 9.995 rounds up to 10.0 */
        digits /= 10;
        exponent++;
    }
    text[n++] = (char)('0' + digits / 100);
    text[n++] = '.';
    text[n++] = (char)('0' + digits / 10 % 10);
    text[n++] = (char)('0' + digits % 10);
    text[n++] = 'e';
    text[n++] = exponent < 0 ? '-' : '+';
    if (exponent < 0) {
        exponent = -exponent;
    }
    text[n++] = (char)('0' + exponent / 10);
    text[n++] = (char)('0' + exponent % 10);
    text[n] = '\0';
    target_write(text);
}

/* ---- comparing --------------------------------------------------------------------- */
typedef struct {
    int32_t labels_equal;
    int32_t within;
    int32_t shown; /* failing vectors printed so far */
    float max_abs_error;
} tv_tally_t;

enum { TV_SHOW_FAILURES = 5 };

static void tv_compare(const tv_expected_t *e, int32_t i, int32_t label, const float *values, tv_tally_t *t)
{
    int ok = 1;
    int32_t j;
    if (e->labels != NULL) {
        if (label == TML_READ_I32(&e->labels[i])) {
            t->labels_equal++;
        } else {
            ok = 0;
        }
    }
    for (j = 0; j < TV_N_VALUES; j++) {
        float expected = TML_READ_F32(&e->values[i * TV_N_VALUES + j]);
        float error = values[j] - expected;
        float magnitude = expected < 0.0f ? -expected : expected;
        error = error < 0.0f ? -error : error;
        if (!(error <= t->max_abs_error)) { /* NaN too */
            t->max_abs_error = error;
        }
        if (!(error <= TML_READ_F32(&e->abs_tol[j]) + TML_READ_F32(&e->rel_tol[j]) * magnitude)) {
            ok = 0;
        }
    }
    if (ok) {
        t->within++;
    } else if (e->checked && t->shown++ < TV_SHOW_FAILURES) {
        target_write("  ");
        target_write(e->name);
        target_write(": vector ");
        tv_put_int(i);
        if (e->labels != NULL) {
            target_write(" label ");
            tv_put_int(label);
            target_write(" expected ");
            tv_put_int(TML_READ_I32(&e->labels[i]));
        }
        for (j = 0; j < TV_N_VALUES; j++) {
            target_write(j == 0 ? ", values " : " ");
            tv_put_float(values[j]);
            target_write("/");
            tv_put_float(TML_READ_F32(&e->values[i * TV_N_VALUES + j]));
        }
        target_write(" (device/expected)\n");
    }
}

/* One summary line; returns 1 if the set is checked and some vector is not within tolerance. */
static int tv_report(const tv_expected_t *e, const tv_tally_t *t)
{
    int failed = e->checked && t->within != TV_N_VECTORS;
    target_write(e->name);
    target_write(": vectors ");
    tv_put_int(TV_N_VECTORS);
    target_write(", labels equal ");
    if (e->labels != NULL) {
        tv_put_int(t->labels_equal);
    } else {
        target_write("-");
    }
    target_write(", max abs error ");
    tv_put_float(t->max_abs_error);
    target_write(", within tolerance ");
    tv_put_int(t->within);
    target_write("/");
    tv_put_int(TV_N_VECTORS);
    if (e->checked) {
        target_write(failed ? ", FAIL\n" : ", PASS\n");
    } else {
        target_write(", REPORTED (");
        target_write(e->note);
        target_write(")\n");
    }
    return failed;
}

#if defined(TARGET_CYCLES)
/* What two back-to-back target_cycles() calls count: taken off each inference's count, which
 * then holds the call of tv_predict and nothing of the counter's own. */
static uint32_t tv_cycles_overhead(void)
{
    uint32_t start = target_cycles();
    return target_cycles() - start;
}
#endif

/* The harness's entry point: main, or what TV_MAIN names where a framework owns main (the
 * Arduino example's harness.c defines it as tv_main, which the sketch's setup() calls). */
#ifndef TV_MAIN
#define TV_MAIN main
#endif

int TV_MAIN(void);

int TV_MAIN(void)
{
    tv_tally_t tally[TV_N_SETS] = {{0, 0, 0, 0.0f}};
    int32_t i;
    int32_t s;
    int32_t errors = 0;
    int failed = 0;
#if TV_HAS_TRUTH
    int32_t correct = 0;
    int32_t known = 0;
#endif
    int status = tv_validate(); /* the tables pass the runtime's own checks */
#if defined(TARGET_CYCLES)
    uint32_t overhead = tv_cycles_overhead();
    uint32_t start;
    uint32_t cycles;
#endif
    target_write("TinyML Lab bundle: " TV_MODEL_NAME ", ");
    tv_put_int(TV_N_VECTORS);
    target_write(" vectors, ");
    tv_put_int(TV_N_VALUES);
    target_write(" value(s) each\n");
    if (status != TML_OK) {
        target_write(TV_MODEL_NAME "_validate failed with code ");
        tv_put_int(status);
        target_write("\nRESULT FAIL\n");
        target_exit(1);
        return 1;
    }
    for (i = 0; i < TV_N_VECTORS; i++) {
        float x[TV_N_INPUTS]; /* the row in RAM, as firmware has its input */
        int32_t label = -1;
        float values[TV_N_VALUES] = {0.0f};
        int32_t k;
        for (k = 0; k < TV_N_INPUTS; k++) {
            x[k] = TML_READ_F32(&tv_inputs[i * TV_N_INPUTS + k]);
        }
        tv_inference_begin(i);
#if defined(TARGET_CYCLES)
        start = target_cycles();
        status = tv_predict(x, &label, values);
        cycles = target_cycles() - start - overhead;
        tv_inference_end();
        target_write("cycles vector ");
        tv_put_int(i);
        target_write(": ");
        tv_put_int((int32_t)cycles);
        target_write("\n");
#else
        status = tv_predict(x, &label, values);
        tv_inference_end();
#endif
        if (status == TML_OK) {
            status = tv_outputs(x, values);
        }
        if (status != TML_OK) {
            target_write("vector ");
            tv_put_int(i);
            target_write(": the model returned code ");
            tv_put_int(status);
            target_write("\n");
            errors++;
            continue; /* counts as outside every tolerance */
        }
        for (s = 0; s < TV_N_SETS; s++) {
            tv_compare(&tv_expected[s], i, label, values, &tally[s]);
        }
#if TV_HAS_TRUTH
        if (TML_READ_I32(&tv_truth[i]) >= 0) {
            known++;
            correct += label == TML_READ_I32(&tv_truth[i]);
        }
#endif
    }
    for (s = 0; s < TV_N_SETS; s++) {
        failed |= tv_report(&tv_expected[s], &tally[s]);
    }
#if TV_HAS_TRUTH
    target_write("accuracy against y: ");
    tv_put_int(correct);
    target_write("/");
    tv_put_int(known);
    target_write("\n");
#endif
    failed |= errors > 0;
    target_write(failed ? "RESULT FAIL\n" : "RESULT PASS\n");
    target_exit(failed);
    return failed;
}
