/* Unit tests of the framer and the post-processing (features_post.h), against references computed differently (naive formulas, in
 * double). */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x165667b19e3779f9ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/features_post.h"

/* ---- framer ---- */

static void test_framer(void)
{
    tml_framer_t f;
    float ring[8], frame[8];
    int32_t i, j, frames = 0, times_ok = 1, contents_ok = 1;
    CHECK(tml_framer_init(&f, 8, 3) == TML_OK);
    for (i = 0; i < 30; i++) {
        int r = tml_framer_push(&f, ring, 8, (float)i, frame);
        /* due after samples 7, 10, 13, ..., 28 */
        int due = i >= 7 && (i - 7) % 3 == 0;
        times_ok &= r == due;
        if (r == 1) {
            frames++;
            for (j = 0; j < 8; j++) {
                contents_ok &= frame[j] == (float)(i - 7 + j);
            }
        }
    }
    CHECK(times_ok);
    CHECK(contents_ok);
    CHECK(frames == 8);
    /* hop 1, window 1: every sample is a frame */
    CHECK(tml_framer_init(&f, 1, 1) == TML_OK);
    CHECK(tml_framer_push(&f, ring, 1, 5.0f, frame) == 1 && frame[0] == 5.0f);
    CHECK(tml_framer_push(&f, ring, 1, 6.0f, frame) == 1 && frame[0] == 6.0f);
    /* hop > window: windows skip samples */
    CHECK(tml_framer_init(&f, 2, 5) == TML_OK);
    {
        int32_t emitted[12], ok = 1;
        for (i = 0; i < 12; i++) {
            emitted[i] = tml_framer_push(&f, ring, 2, (float)i, frame);
            if (emitted[i] == 1) {
                ok &= frame[0] == (float)(i - 1) && frame[1] == (float)i;
            }
        }
        CHECK(ok && emitted[1] == 1 && emitted[6] == 1 && emitted[11] == 1 && emitted[5] == 0);
    }
    CHECK(tml_framer_init(NULL, 8, 3) == TML_E_NULL);
    CHECK(tml_framer_init(&f, 0, 3) == TML_E_SIZE);
    CHECK(tml_framer_init(&f, 8, 0) == TML_E_SIZE);
    CHECK(tml_framer_init(&f, 8, 3) == TML_OK);
    CHECK(tml_framer_push(NULL, ring, 8, 0.0f, frame) == TML_E_NULL);
    CHECK(tml_framer_push(&f, NULL, 8, 0.0f, frame) == TML_E_NULL);
    CHECK(tml_framer_push(&f, ring, 8, 0.0f, NULL) == TML_E_NULL);
    CHECK(tml_framer_push(&f, ring, 7, 0.0f, frame) == TML_E_SIZE);
    f.filled = 16; /* corrupted: would index past the ring */
    CHECK(tml_framer_push(&f, ring, 8, 0.0f, frame) == TML_E_SIZE);
    f.filled = 0;
    f.since_emit = 3;
    CHECK(tml_framer_push(&f, ring, 8, 0.0f, frame) == TML_E_SIZE);
    f.since_emit = 0;
    f.hop = 0;
    CHECK(tml_framer_push(&f, ring, 8, 0.0f, frame) == TML_E_SIZE);
}

/* ---- post-processing ---- */

static void test_median_and_average(void)
{
    float x[37], out[37], scratch[9], sorted[9];
    int32_t ks[4] = {1, 3, 5, 9};
    int32_t t, i, j, ok = 1;
    for (i = 0; i < 37; i++) {
        x[i] = (float)(rng_u32() % 11); /* repeated values: ties */
    }
    for (t = 0; t < 4; t++) {
        int32_t k = ks[t];
        CHECK(tml_median_filter(x, 37, k, scratch, out) == TML_OK);
        for (i = 0; i < 37; i++) {
            /* brute force: gather with edge repetition, selection sort */
            int32_t a, b;
            for (j = 0; j < k; j++) {
                int32_t at = i - k / 2 + j;
                sorted[j] = x[at < 0 ? 0 : (at > 36 ? 36 : at)];
            }
            for (a = 0; a < k; a++) {
                for (b = a + 1; b < k; b++) {
                    if (sorted[b] < sorted[a]) {
                        float tmp = sorted[a];
                        sorted[a] = sorted[b];
                        sorted[b] = tmp;
                    }
                }
            }
            ok &= out[i] == sorted[k / 2];
        }
    }
    CHECK(ok);
    {
        const float spike[5] = {1.0f, 1.0f, 9.0f, 1.0f, 1.0f};
        const float edge[3] = {5.0f, 0.0f, 0.0f};
        CHECK(tml_median_filter(spike, 5, 3, scratch, out) == TML_OK && out[2] == 1.0f);
        /* nearest: [5,5,0] -> 5 at the left edge, [5,0,0] -> 0 */
        CHECK(tml_median_filter(edge, 3, 3, scratch, out) == TML_OK && out[0] == 5.0f && out[1] == 0.0f);
        CHECK(tml_median_filter(edge, 3, 9, scratch, out) == TML_OK); /* k > n is fine */
    }
    CHECK(tml_median_filter(NULL, 37, 3, scratch, out) == TML_E_NULL);
    CHECK(tml_median_filter(x, 37, 3, NULL, out) == TML_E_NULL);
    CHECK(tml_median_filter(x, 37, 3, scratch, NULL) == TML_E_NULL);
    CHECK(tml_median_filter(x, 0, 3, scratch, out) == TML_E_SIZE);
    CHECK(tml_median_filter(x, 37, 4, scratch, out) == TML_E_SIZE);
    CHECK(tml_median_filter(x, 37, 0, scratch, out) == TML_E_SIZE);
    CHECK(tml_median_filter(x, 37, -3, scratch, out) == TML_E_SIZE);

    for (t = 1; t <= 5; t++) {
        ok = 1;
        for (i = 0; i < 37; i++) {
            x[i] = rng_float(-10.0f, 10.0f);
        }
        CHECK(tml_moving_average(x, 37, t, out) == TML_OK);
        for (i = 0; i < 37; i++) {
            double sum = 0.0;
            int32_t first = i - t + 1 < 0 ? 0 : i - t + 1;
            for (j = first; j <= i; j++) {
                sum += (double)x[j];
            }
            ok &= fabs((double)out[i] - sum / (i - first + 1)) < 1e-5;
        }
        CHECK(ok);
    }
    CHECK(tml_moving_average(NULL, 37, 3, out) == TML_E_NULL);
    CHECK(tml_moving_average(x, 37, 3, NULL) == TML_E_NULL);
    CHECK(tml_moving_average(x, 0, 3, out) == TML_E_SIZE);
    CHECK(tml_moving_average(x, 37, 0, out) == TML_E_SIZE);
}

static void test_hysteresis_events_vote(void)
{
    const float x[12] = {0.1f, 0.8f, 0.6f, 0.4f, 0.2f, 0.7f, 0.5f, 0.9f, 0.2f, 0.1f, 0.75f, 0.6f};
    const int32_t want[12] = {0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1};
    int32_t state[12], onset[4], offset[4], i, ok = 1;
    CHECK(tml_hysteresis(x, 12, 0.7f, 0.3f, state) == TML_OK);
    for (i = 0; i < 12; i++) {
        ok &= state[i] == want[i];
    }
    CHECK(ok);
    CHECK(tml_hysteresis(x, 12, 0.5f, 0.5f, state) == TML_OK && state[6] == 1 && state[3] == 0); /* on == off */
    CHECK(tml_hysteresis(NULL, 12, 0.7f, 0.3f, state) == TML_E_NULL);
    CHECK(tml_hysteresis(x, 12, 0.7f, 0.3f, NULL) == TML_E_NULL);
    CHECK(tml_hysteresis(x, 0, 0.7f, 0.3f, state) == TML_E_SIZE);
    CHECK(tml_hysteresis(x, 12, 0.3f, 0.7f, state) == TML_E_SCALE);
    CHECK(tml_hysteresis(x, 12, NAN, 0.3f, state) == TML_E_SCALE);

    /* runs: [1,4) len 3, [5,8) len 3, [10,12) len 2 reaching the end */
    CHECK(tml_events(want, 12, 1, onset, offset, 4) == 3);
    CHECK(onset[0] == 1 && offset[0] == 4 && onset[1] == 5 && offset[1] == 8 && onset[2] == 10 && offset[2] == 12);
    CHECK(tml_events(want, 12, 3, onset, offset, 4) == 2 && onset[1] == 5 && offset[1] == 8);
    CHECK(tml_events(want, 12, 4, onset, offset, 4) == 0);
    CHECK(tml_events(want, 12, 2, onset, offset, 2) == TML_E_SIZE && onset[1] == 5);
    CHECK(tml_events(want, 12, 2, NULL, NULL, 0) == TML_E_SIZE);
    CHECK(tml_events(want, 12, 4, NULL, NULL, 0) == 0);
    {
        const int32_t all_on[3] = {1, 1, 1};
        CHECK(tml_events(all_on, 3, 0, onset, offset, 1) == 1 && onset[0] == 0 && offset[0] == 3);
    }
    CHECK(tml_events(NULL, 12, 1, onset, offset, 4) == TML_E_NULL);
    CHECK(tml_events(want, 12, 1, NULL, offset, 4) == TML_E_NULL);
    CHECK(tml_events(want, 12, 1, onset, NULL, 4) == TML_E_NULL);
    CHECK(tml_events(want, 0, 1, onset, offset, 4) == TML_E_SIZE);
    CHECK(tml_events(want, 12, -1, onset, offset, 4) == TML_E_SIZE);
    CHECK(tml_events(want, 12, 1, onset, offset, -1) == TML_E_SIZE);

    {
        const int32_t labels[7] = {2, 1, 2, 1, 0, 3, 3};
        const int32_t bad[2] = {0, 4};
        int32_t counts[4];
        CHECK(tml_majority_vote(labels, 7, 4, counts) == 1); /* 1, 2, 3 tie at 2: lowest */
        CHECK(counts[0] == 1 && counts[1] == 2 && counts[2] == 2 && counts[3] == 2);
        CHECK(tml_majority_vote(labels, 3, 4, counts) == 2);
        CHECK(tml_majority_vote(labels + 4, 1, 4, counts) == 0);
        CHECK(tml_majority_vote(bad, 2, 4, counts) == TML_E_KIND);
        CHECK(tml_majority_vote(NULL, 7, 4, counts) == TML_E_NULL);
        CHECK(tml_majority_vote(labels, 7, 4, NULL) == TML_E_NULL);
        CHECK(tml_majority_vote(labels, 0, 4, counts) == TML_E_SIZE);
        CHECK(tml_majority_vote(labels, 7, 0, counts) == TML_E_SIZE);
    }
}

int main(void)
{
    test_framer();
    test_median_and_average();
    test_hysteresis_events_vote();
    return CHECK_REPORT("features_post");
}
