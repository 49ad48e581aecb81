#!/usr/bin/env python3
"""Turns the BENCH lines of a `make bench` serial log into a table and a chart.

usage: bench-report.py SERIAL_LOG OUT_DIR

Writes OUT_DIR/results.tsv (the raw lines), OUT_DIR/results.md (a table per memory type with
ratios to /dev/mem, RAM and the ramfs file, and the targets; for the arm64 bench's `maps` lines,
a table per mapping size, block entries against page entries and the peers) and
OUT_DIR/bench.svg (the ratios to each figure's anchor as bars: /dev/mem, or the ramfs file for
pread/pwrite).
Prints the targets met and missed; exits 1 if the log has no results.
"""
import sys
from pathlib import Path

BANDWIDTH = ("read", "write", "memcpy-from", "memcpy-to")
TYPES = ("write-combine", "cached", "device")


def load(log):
    rows, info = {}, {}
    for line in Path(log).read_text(errors="replace").splitlines():
        parts = line.strip().split("\t")
        if parts[0] == "BENCH" and len(parts) == 8:
            _, kind, metric, via, median, low, high, unit = parts
            rows[(kind, metric, via)] = (float(median), float(low), float(high), unit)
        elif parts[0] == "BENCH-INFO" and len(parts) >= 2:
            info[parts[1]] = "; ".join(parts[2:])
    return rows, info


def ratio(rows, kind, metric, a, b):
    if (kind, metric, a) in rows and (kind, metric, b) in rows and rows[(kind, metric, b)][0]:
        return rows[(kind, metric, a)][0] / rows[(kind, metric, b)][0]
    return None


def metrics_of(rows, kind):
    seen = []
    for (k, metric, _) in rows:
        if k == kind and metric not in seen:
            seen.append(metric)
    return seen


def syscall(metric):
    """Whether `metric` is a pread/pwrite figure, whose anchor is the ramfs file."""
    return metric.startswith(("pread-", "pwrite-"))


def anchor(metric):
    """The way a metric's carveout figure is compared with first."""
    return "ramfs" if syscall(metric) else "devmem"


def target(rows, kind, metric):
    """(description, met, value) for a metric with a target, else None."""
    if metric in BANDWIDTH:
        r = ratio(rows, kind, metric, "carveout", "devmem")
        return (">= 0.98 x /dev/mem", r is not None and r >= 0.98, r)
    if syscall(metric):
        r = ratio(rows, kind, metric, "carveout", "ramfs")
        return (">= 1.5 x ramfs", r is not None and r >= 1.5, r)
    if metric.startswith("mmap-munmap-"):
        r = ratio(rows, kind, metric, "carveout", "devmem")
        return ("<= 1.1 x /dev/mem", r is not None and r <= 1.1, r)
    if metric.startswith("minor-faults"):
        v = rows.get((kind, metric, "carveout"))
        return ("0 faults", v is not None and v[0] == 0, None if v is None else v[0])
    return None


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"


def table(rows, info):
    if not any(k in TYPES for (k, _, _) in rows):
        return ""
    out = []
    for kind in TYPES:
        if not any(k == kind for (k, _, _) in rows):
            continue
        out.append(f"### {kind}\n")
        if kind in info:
            out.append(f"{info[kind]}\n")
        out.append(
            "| metric | unit | carveout | /dev/mem | UIO | RAM | ramfs file "
            "| carveout / /dev/mem | carveout / RAM | carveout / ramfs | target |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for metric in metrics_of(rows, kind):
            unit = next(v[3] for (k, m, _), v in rows.items() if k == kind and m == metric)

            def cell(via):
                v = rows.get((kind, metric, via))
                return "-" if v is None else f"{fmt(v[0])} ({fmt(v[1])}-{fmt(v[2])})"

            t = target(rows, kind, metric)
            verdict = "" if t is None else f"{t[0]}: {'met' if t[1] else 'MISSED'}"
            cells = " | ".join(cell(via) for via in ("carveout", "devmem", "uio", "ram", "ramfs"))
            ratios = " | ".join(
                fmt(ratio(rows, kind, metric, "carveout", via)) for via in ("devmem", "ram", "ramfs")
            )
            out.append(f"| {metric} | {unit} | {cells} | {ratios} | {verdict} |")
        out.append("")
    out.append("Cells: median (min-max) over the rounds. Bandwidth in MiB/s, random 4 KiB in operations/s,")
    out.append("mmap+munmap, mmap and munmap in microseconds per call (pair), first-touch in microseconds")
    out.append("for mmap + reading one word of every page + munmap, minor faults per touch of every page")
    out.append("of a fresh mapping. pread/pwrite figures are the driver's calls (carveout) and the ramfs")
    out.append("file's; the other figures go through a mapping of each.")
    return "\n".join(out) + "\n"


MAPS_WAYS = (
    ("carveout", "this driver, block entries"),
    ("carveout-4k", "this driver, page entries (THP disabled)"),
    ("udmabuf", "u-dma-buf"),
    ("ramfs", "ramfs file"),
    ("ram", "anonymous RAM"),
)
MAPS_COLUMNS = ("mmap-munmap", "first-pass", "first-pass-faults", "page-tables-kb", "random-read")


def maps_sizes(rows):
    sizes = []
    for (kind, metric, _) in rows:
        if kind == "maps" and metric.startswith("mmap-munmap-"):
            size = metric[len("mmap-munmap-"):]
            if size not in sizes:
                sizes.append(size)
    return sizes


def maps_blocks(size):
    """The 2 MiB blocks in a mapping of SIZE (a label such as 16m)."""
    return int(size[:-1]) // 2 if size.endswith("m") else 0


def maps_targets(rows):
    """(description, met, value) per size for the arm64 bench's targets."""
    out = []
    for size in maps_sizes(rows):
        def med(col, via):
            v = rows.get(("maps", f"{col}-{size}", via))
            return None if v is None else v[0]

        # Untouched, against the lazily mapped files: ramfs's mmap does no driver work at all,
        # the least a file's can. Anonymous RAM has no file (no f_op hooks, no place in a file's
        # address space to be revoked through): shown beside, not a target.
        pair = med("mmap-munmap", "carveout")
        lazy = [v for v in (med("mmap-munmap", w) for w in ("udmabuf", "ramfs")) if v]
        if pair is not None and lazy:
            out.append((f"{size}: mmap + munmap untouched <= 1.1 x the cheapest lazily mapped file",
                        pair <= 1.1 * min(lazy), pair / min(lazy)))
        faults = med("first-pass-faults", "carveout")
        if faults is not None:
            out.append((f"{size}: first pass, at most one fault per 2 MiB block ({maps_blocks(size)})",
                        faults <= maps_blocks(size), faults))
        for col, what in (("first-pass", "first pass"), ("random-read", "random 4 KiB reads")):
            a, b = med(col, "carveout"), med(col, "carveout-4k")
            if a is not None and b:
                out.append((f"{size}: {what} <= 1.1 x page entries", a <= 1.1 * b, a / b))
    return out


def maps_table(rows, info):
    sizes = maps_sizes(rows)
    if not sizes:
        return ""
    out = ["### Mappings: block entries against page entries (arm64)\n"]
    if "maps" in info:
        out.append(f"{info['maps']}\n")
    for size in sizes:
        out.append(f"#### {size[:-1]} {'MiB' if size.endswith('m') else 'KiB'}\n")
        out.append("| way | mmap + munmap untouched, us | first pass, us | faults in it "
                   "| page tables, kB | random 4 KiB read, ns |")
        out.append("|---|---|---|---|---|---|")
        for via, name in MAPS_WAYS:
            cells = []
            for col in MAPS_COLUMNS:
                v = rows.get(("maps", f"{col}-{size}", via))
                cells.append("-" if v is None else f"{fmt(v[0])} ({fmt(v[1])}-{fmt(v[2])})")
            if all(c == "-" for c in cells):
                continue
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        out.append("")
    out.append("Cells: median (min-max) over the rounds. First pass: mmap, a word read from every")
    out.append("page, munmap; its faults are the process's minor faults meanwhile, its page tables the")
    out.append("growth of VmPTE before munmap. Random reads: a word in a random 4 KiB page of a mapping")
    out.append("touched already, 100000 reads.")
    out.append("")
    for desc, met, value in maps_targets(rows):
        out.append(f"- {desc}: {fmt(value)}, {'met' if met else 'MISSED'}")
    for size in sizes:
        a = rows.get(("maps", f"mmap-munmap-{size}", "carveout"))
        b = rows.get(("maps", f"mmap-munmap-{size}", "ram"))
        if a and b and b[0]:
            out.append(f"- {size}: mmap + munmap untouched against anonymous RAM (no file): {fmt(a[0] / b[0])}")
    return "\n".join(out) + "\n"


def svg(rows):
    """Horizontal bars: carveout / its anchor per metric and memory type, with the parity line."""
    bars = []
    for kind in TYPES:
        for metric in metrics_of(rows, kind):
            r = ratio(rows, kind, metric, "carveout", anchor(metric))
            if r is not None and not metric.startswith("minor-faults"):
                vs = " (vs ramfs)" if anchor(metric) == "ramfs" else ""
                bars.append((f"{kind} {metric}{vs}", r, target(rows, kind, metric)))
    colours = {"write-combine": "#4878a8", "cached": "#6a9f58", "device": "#c0823a"}
    left, width, bar_h, gap, top = 300, 440, 14, 4, 40
    scale_max = 2.0  # Wider bars are clipped, with their value written out.
    height = top + len(bars) * (bar_h + gap) + 40
    x_of = lambda v: left + width * min(v, scale_max) / scale_max
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 130}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="10" y="18" font-size="12">carveout / /dev/mem (pread/pwrite: / ramfs file), same boot '
        "(QEMU TCG). Bandwidth, ops/s: higher is better; times: lower is better.</text>",
    ]
    for i, (label, r, t) in enumerate(bars):
        y = top + i * (bar_h + gap)
        colour = colours[label.split()[0]]
        parts.append(f'<text x="{left - 6}" y="{y + bar_h - 3}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{x_of(r) - left:.1f}" height="{bar_h}" fill="{colour}"/>')
        mark = "" if t is None else (" ok" if t[1] else " MISSED")
        clipped = " (clipped)" if r > scale_max else ""
        parts.append(f'<text x="{x_of(r) + 4:.1f}" y="{y + bar_h - 3}">{r:.3f}{clipped}{mark}</text>')
    for v in (0.0, 0.5, 1.0, 1.5, 2.0):
        x = x_of(v)
        dash = "" if v == 1.0 else ' stroke-dasharray="3,3"'
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 30}" stroke="#888"{dash}/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 16}" text-anchor="middle">{v:.1f}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    log, out = sys.argv[1], Path(sys.argv[2])
    rows, info = load(log)
    if not rows:
        sys.exit(f"bench-report: no BENCH lines in {log}")
    out.mkdir(parents=True, exist_ok=True)
    lines = [l for l in Path(log).read_text(errors="replace").splitlines() if l.startswith("BENCH")]
    (out / "results.tsv").write_text("\n".join(lines) + "\n")
    (out / "results.md").write_text(table(rows, info) + maps_table(rows, info))
    (out / "bench.svg").write_text(svg(rows))
    missed = 0
    for kind in TYPES:
        for metric in metrics_of(rows, kind):
            t = target(rows, kind, metric)
            if t is not None:
                print(f"{'PASS' if t[1] else 'MISS'} bench {kind} {metric}: {fmt(t[2])} (target {t[0]})")
                missed += not t[1]
    for desc, met, value in maps_targets(rows):
        print(f"{'PASS' if met else 'MISS'} bench maps {desc}: {fmt(value)}")
        missed += not met
    print(f"bench: results in {out}/results.md, chart {out}/bench.svg; {missed} targets missed")


if __name__ == "__main__":
    main()
