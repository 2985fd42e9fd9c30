#!/usr/bin/env python3
"""Reads table rows (tab-separated: figure, measured, baseline, ratio) on stdin and prints them
as one Markdown table, columns padded so it also reads in a terminal. A line with a single
field is a section heading: it becomes a bold row."""
import sys

HEAD = ("figure", "measured", "baseline (same run) or target", "ratio")
rows = []
for line in sys.stdin:
    cells = line.rstrip("\n").split("\t")
    if cells == [""]:
        continue
    if len(cells) == 1:
        cells = [f"**{cells[0]}**", "", "", ""]
    if len(cells) != 4:
        raise SystemExit(f"table row with {len(cells)} cells: {line!r}")
    rows.append(cells)
widths = [max(len(r[i]) for r in [HEAD, *rows]) for i in range(4)]
fmt = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
print(fmt(HEAD))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print(fmt(r))
