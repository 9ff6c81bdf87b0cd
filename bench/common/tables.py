"""Plain right-aligned text tables, as the benchmarks print them."""


def print_table(header: list, rows: list) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))

    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def fmt_int(value) -> str:
    """1,234 or "-" for a missing value."""
    return "-" if value is None else f"{value:,.0f}"


def fmt_ratio(a, b) -> str:
    """a / b as "0.52x", or "-" when either is missing or zero."""
    return f"{a / b:.2f}x" if a and b else "-"


def write_results_json(path, family: str, results: list, skipped: list = (), **extra) -> None:
    """The run's rows as JSON for bench/compare.py: one dict per (model, tool) measured, with
    the columns every benchmark shares (missing ones are None), plus the (model, tool,
    reason) of each export that was skipped and whatever else the benchmark passes in."""
    import json

    rows = []
    for r in results:
        flash = getattr(r, "flash", {}) or {}
        ram = getattr(r, "ram", (None, None)) or (None, None)
        rows.append({
            "case": r.case, "tool": r.tool,
            "flash_m4f": flash.get("M4F", (None, None))[0], "flash_m0p": flash.get("M0+", (None, None))[0],
            "lib_m4f": flash.get("M4F", (None, None))[1], "lib_m0p": flash.get("M0+", (None, None))[1],
            "ram_static": ram[0], "stack": getattr(r, "stack", None),
            "host_ipp": getattr(r, "host_ipp", None), "m4f_ipp": getattr(r, "m4f_ipp", None),
            "m0p_ipp": getattr(r, "m0p_ipp", None),
            "flash_rv32": flash.get("RV32", (None, None))[0], "lib_rv32": flash.get("RV32", (None, None))[1],
            "rv32_ipp": getattr(r, "rv32_ipp", None), "rv32_stack": getattr(r, "rv32_stack", None),
            "rv32_agree": str(getattr(r, "rv32_agree", "-")).replace("agree=", ""),
            "avr": getattr(r, "avr", {}),
            "host_agree": getattr(r, "host_agree", "-"),
            "m4f_agree": str(getattr(r, "m4f_agree", "-")).replace("agree=", ""),
            "m0p_agree": str(getattr(r, "m0p_agree", "-")).replace("agree=", ""),
            "score_err": getattr(r, "score_err", None), "score_rel": getattr(r, "score_rel", None),
            "accuracy": getattr(r, "accuracy", None),
            "note": getattr(r, "note", ""), "errors": list(getattr(r, "errors", [])),
        })
    skips = [{"case": c, "tool": t, "reason": why} for c, t, why in skipped]
    with open(path, "w") as out:
        json.dump({"family": family, "rows": rows, "skipped": skips, **extra}, out, indent=1, default=str)
