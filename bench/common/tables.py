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
