/* trace_count.c: counts the instructions of a QEMU `-singlestep -d exec,nochain` log inside the
 * measured window, with the same rule as bench/common/measure.py's _count_window (and the shared
 * TFLM fw.py's count_window): start after the first instruction inside bench_window_begin, stop at
 * the first inside bench_window_end, count every instruction in between that is neither main's
 * nor bench_window_begin's. It also keeps a flat profile (instructions per function).
 *
 * It reads the log as a stream (a FIFO QEMU writes into), so traces of 10^8+ lines never touch
 * the disk; it reads to the end so QEMU never blocks on a full pipe.
 *
 *   trace_count LOG SYMBOLS
 * SYMBOLS: line 1 "begin_lo begin_hi end_lo end_hi main_lo main_hi" (hex), then one function per
 * line "lo hi name", sorted by lo. Prints "count N" (or "count -1" when the window never closed),
 * then "fn COUNT name" for every function that ran in the window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned long lo, hi;
    char *name;
    unsigned long long count;
} fn_t;

static fn_t *fns;
static size_t n_fns;

static long find_fn(unsigned long pc)
{
    size_t a = 0, b = n_fns;
    while (a < b) { /* first function with lo > pc */
        size_t m = (a + b) / 2;
        if (fns[m].lo <= pc) a = m + 1;
        else b = m;
    }
    if (a == 0 || pc >= fns[a - 1].hi) return -1;
    return (long)(a - 1);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: trace_count LOG SYMBOLS\n");
        return 2;
    }
    FILE *sym = fopen(argv[2], "r");
    if (!sym) {
        perror(argv[2]);
        return 2;
    }
    unsigned long b_lo, b_hi, e_lo, e_hi, m_lo, m_hi;
    if (fscanf(sym, "%lx %lx %lx %lx %lx %lx", &b_lo, &b_hi, &e_lo, &e_hi, &m_lo, &m_hi) != 6) {
        fprintf(stderr, "bad symbol file\n");
        return 2;
    }
    size_t cap = 1024;
    fns = malloc(cap * sizeof *fns);
    char name[4096];
    unsigned long lo, hi;
    while (fscanf(sym, "%lx %lx %4095s", &lo, &hi, name) == 3) {
        if (n_fns == cap) fns = realloc(fns, (cap *= 2) * sizeof *fns);
        fns[n_fns].lo = lo;
        fns[n_fns].hi = hi;
        fns[n_fns].name = strdup(name);
        fns[n_fns].count = 0;
        n_fns++;
    }
    fclose(sym);

    FILE *log = fopen(argv[1], "r");
    if (!log) {
        perror(argv[1]);
        return 2;
    }
    static char buffer[1 << 20];
    setvbuf(log, buffer, _IOFBF, sizeof buffer);
    char line[1024];
    int state = 0; /* 0 before the window, 1 inside, 2 after */
    unsigned long long count = 0, unknown = 0;
    while (fgets(line, sizeof line, log)) {
        if (state == 2 || strncmp(line, "Trace ", 6) != 0) continue;
        char *p = strchr(line, '[');
        if (!p) continue;
        p = strchr(p, '/');
        if (!p) continue;
        unsigned long pc = strtoul(p + 1, NULL, 16);
        if (state == 0) {
            if (b_lo <= pc && pc < b_hi) state = 1;
            continue;
        }
        if (e_lo <= pc && pc < e_hi) {
            state = 2;
            continue;
        }
        if ((m_lo <= pc && pc < m_hi) || (b_lo <= pc && pc < b_hi)) continue;
        count++;
        long f = find_fn(pc);
        if (f >= 0) fns[f].count++;
        else unknown++;
    }
    fclose(log);
    printf("count %lld\n", state == 2 ? (long long)count : -1LL);
    for (size_t i = 0; i < n_fns; i++)
        if (fns[i].count) printf("fn %llu %s\n", fns[i].count, fns[i].name);
    if (unknown) printf("fn %llu ?\n", unknown);
    return 0;
}
