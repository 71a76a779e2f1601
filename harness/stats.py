"""Statistics of the benchmarks, and the markdown table they print.

Figures are reported as ratios to a reference taken in the same run: on a
small machine the load generator, httpd and the database share the cores,
so only ratios of one run compare.
"""

import math


def mean(values):
    """The arithmetic mean; 0 for no values."""
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def percentile(values, p):
    """The p-th percentile (0..100), interpolated linearly between the
    two nearest ranks (numpy's default); 0 for no values."""
    xs = sorted(values)
    if not xs:
        return 0.0
    if not 0 <= p <= 100:
        raise ValueError("percentile %r is not within 0..100" % p)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values):
    """The median: the middle value, or the mean of the two middle ones."""
    return percentile(values, 50)


def ratio(a, b, digits=2):
    """a / b as text with digits decimals, "-" when b is 0 (no reference)."""
    if not b:
        return "-"
    return "%.*f" % (digits, a / b)


def fmt(x, digits=0):
    """A number as text with digits decimals."""
    return "%.*f" % (digits, x)


def human(n):
    """A count in short: 10000000 -> 10M, 2500000 -> 2.5M, 100000 -> 100k."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if n >= size:
            s = "%.1f" % (n / size)
            return (s[:-2] if s.endswith(".0") else s) + suffix
    return str(n)


def markdown_table(header, rows, pad=False):
    """A markdown table: a header row, the separator, one line a row. A
    '|' in a cell would end it: it becomes '/'. pad: each column as wide
    as its widest cell, for reading as text too."""
    cells = [[str(c).replace("|", "/") for c in r] for r in [header] + rows]
    for r in cells[1:]:
        if len(r) != len(header):
            raise ValueError("row %r has %d cells, the header %d"
                             % (r, len(r), len(header)))
    widths = [max(len(r[i]) for r in cells) if pad else 0
              for i in range(len(header))]

    def line(r):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) if pad else "---" for w in widths) + "|"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]]) + "\n"
