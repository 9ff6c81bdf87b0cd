"""Instruction counts of a firmware in QEMU with the trace streamed, never written to disk: QEMU's
`-singlestep -d exec,nochain` log goes into a FIFO that trace_count.c reads (a VWW or ResNet
trace is gigabytes), with the window rule of bench/common/measure.py. Used for TFLM's firmware
(tflm_fw.py) and ours (ours.py) alike."""
import os
import re
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "build" / "mlperf_tiny"


def trace_counter() -> Path:
    """build/mlperf_tiny/trace_count, compiled from trace_count.c when missing or older."""
    exe = OUT / "trace_count"
    src = HERE / "trace_count.c"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(["gcc", "-O2", "-o", str(exe), str(src)], check=True, capture_output=True, text=True)
    return exe


def count_streamed(elf: Path, qemu: list, ranges: dict, functions: list, timeout: int = 3600) -> dict:
    """Runs elf under QEMU (the command `qemu`, without -kernel) single-stepped, counting the
    instructions between bench_window_begin and bench_window_end that are not main's.
    ranges: {function: (start, end)} with those three; functions: (start, end, name) for the
    flat profile. {"count", "profile": [(name, instructions)] largest first, "console", "seconds"}."""
    d = elf.parent
    symbols = d / "symbols.txt"
    head = " ".join(f"{v:x}" for key in ("bench_window_begin", "bench_window_end", "main") for v in ranges[key])
    symbols.write_text(head + "\n" + "".join(f"{lo:x} {hi:x} {name}\n" for lo, hi, name in sorted(functions)))
    fifo = d / "trace.fifo"
    if fifo.exists():
        fifo.unlink()
    os.mkfifo(fifo)
    start = time.time()
    counter = subprocess.Popen([str(trace_counter()), str(fifo), str(symbols)], stdout=subprocess.PIPE, text=True)
    try:
        done = subprocess.run([*qemu, "-kernel", str(elf), "-singlestep", "-d", "exec,nochain", "-D", str(fifo)],
                              cwd=d, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        out, _ = counter.communicate(timeout=600)
    finally:
        if counter.poll() is None:
            counter.kill()
        fifo.unlink()
    count = int(re.search(r"^count (-?\d+)", out, re.M).group(1))
    if count < 0:
        raise RuntimeError("trace ended before bench_window_end")
    profile = sorted(((name, int(c)) for c, name in re.findall(r"^fn (\d+) (\S+)$", out, re.M)), key=lambda kv: -kv[1])
    return {"count": count, "profile": profile, "console": done.stdout + done.stderr,
            "seconds": time.time() - start}
