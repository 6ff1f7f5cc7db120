#!/usr/bin/env python3
"""perf/lib/report.py — aggregate the records of one perf/run into
results/latest.json (every figure of every run), results/latest.md (workload ×
peer table with the FastFuse/peer ratios) and results/latest.svg (plot of the
ratios), and paste the table into perf/README.md between the
<!-- perf:latest:begin --> / <!-- perf:latest:end --> markers.
Standard library only.
"""
import argparse, glob, json, math, os, statistics, sys, time
from xml.sax.saxutils import escape

PEERS = ["fastfuse-memfs", "fastfuse-c-memfs", "fastfuse-c-memfs-sync", "fastfuse-memfs-uring", "fastfuse-memfs-fuseuring", "fastfuse-memfs-wb", "fastfuse-loopback",
         "fastfuse-loopback-fuseuring", "fastfuse-loopback-wb", "gofuse-memfs", "gofuse-loopback", "libfuse-passthrough_ll",
         "libfuse-null"]
PEER_CLASS = {"fastfuse-memfs": "memfs", "fastfuse-c-memfs": "memfs", "fastfuse-c-memfs-sync": "memfs", "fastfuse-memfs-uring": "memfs", "fastfuse-memfs-fuseuring": "memfs",
              "gofuse-memfs": "memfs", "fastfuse-loopback": "loopback", "fastfuse-loopback-fuseuring": "loopback",
              "gofuse-loopback": "loopback", "libfuse-passthrough_ll": "loopback", "libfuse-null": "null",
              "fastfuse-memfs-wb": "memfs", "fastfuse-loopback-wb": "loopback"}
# FastFuse on the kernel's FUSE over io_uring against the same filesystem on /dev/fuse, in the same run.
# Also FastFuse with writeback_cache against the same without it.
TRANSPORT_PAIRS = [("fastfuse-memfs-fuseuring", "fastfuse-memfs", "memfs fuse-uring/devfuse"), ("fastfuse-memfs-uring", "fastfuse-memfs", "memfs uring/devfuse"),
                   ("fastfuse-loopback-fuseuring", "fastfuse-loopback", "loopback fuse-uring/devfuse"),
                   ("fastfuse-memfs-wb", "fastfuse-memfs", "memfs writeback/without"),
                   ("fastfuse-loopback-wb", "fastfuse-loopback", "loopback writeback/without"),
                   ("fastfuse-c-memfs", "fastfuse-memfs", "C host/C# memfs"),
                   ("fastfuse-c-memfs-sync", "fastfuse-memfs", "C host sync READ/C# memfs")]
# The C ABI's cost: the C memfs host (native/examples/memfs.c on libfastfuse.so) against the C# MemFs, same transport
# and threads, per client operation: (C peer, metric, client operation, FUSE requests per operation).
BOUNDARY = [("fastfuse-c-memfs", "stat-storm-1t", "stat(), 1 thread", "LOOKUP + GETATTR"),
            ("fastfuse-c-memfs", "stat-storm-2t", "stat(), 2 threads", "LOOKUP + GETATTR"),
            ("fastfuse-c-memfs", "randread-4k-1t", "4 KiB read, 1 thread", "READ, on memfs's reader thread"),
            ("fastfuse-c-memfs", "randread-4k-2t", "4 KiB read, 2 threads", "READ, on memfs's reader thread"),
            ("fastfuse-c-memfs", "randread-4k-4t", "4 KiB read, 4 threads", "READ, on memfs's reader thread"),
            ("fastfuse-c-memfs-sync", "randread-4k-1t", "4 KiB read, 1 thread", "READ, in the callback (sync_read)"),
            ("fastfuse-c-memfs-sync", "randread-4k-2t", "4 KiB read, 2 threads", "READ, in the callback (sync_read)"),
            ("fastfuse-c-memfs-sync", "randread-4k-4t", "4 KiB read, 4 threads", "READ, in the callback (sync_read)")]
# Which FastFuse variant each peer is compared with (fallback: fastfuse-memfs, marked ‡).
COMPARE = {"gofuse-memfs": "fastfuse-memfs", "gofuse-loopback": "fastfuse-loopback",
           "libfuse-passthrough_ll": "fastfuse-loopback", "libfuse-null": "fastfuse-memfs"}
OTHERS = ["gofuse-memfs", "gofuse-loopback", "libfuse-passthrough_ll", "libfuse-null"]

# (row id, metric, field, unit, better, label)
ROWS = [
    ("stat-storm-1t", "stat-storm-1t", "value", "stats/s", "higher", "stat storm, 1 thread"),
    ("stat-storm-2t", "stat-storm-2t", "value", "stats/s", "higher", "stat storm, 2 threads"),
    ("stat-storm-1t-p99", "stat-storm-1t", "p99_us", "µs", "lower", "stat storm, 1 thread, p99 latency"),
    ("ls-walk-10k", "ls-walk-10k", "value", "entries/s", "higher", "ls -l walk, 10,000 entries"),
    ("ls-walk-100k", "ls-walk-100k", "value", "entries/s", "higher", "ls -l walk, 100,000 entries"),
    ("create-write-unlink", "create-write-unlink", "value", "files/s", "higher", "create + write 4 KiB + close, unlink"),
    ("randread-4k-1t", "randread-4k-1t", "value", "IOPS", "higher", "4 KiB random read, 1 thread"),
    ("randread-4k-1t-p50", "randread-4k-1t", "p50_us", "µs", "lower", "4 KiB random read, 1 thread, p50"),
    ("randread-4k-1t-p99", "randread-4k-1t", "p99_us", "µs", "lower", "4 KiB random read, 1 thread, p99"),
    ("randread-4k-2t", "randread-4k-2t", "value", "IOPS", "higher", "4 KiB random read, 2 threads"),
    ("randread-4k-2t-p50", "randread-4k-2t", "p50_us", "µs", "lower", "4 KiB random read, 2 threads, p50"),
    ("randread-4k-2t-p99", "randread-4k-2t", "p99_us", "µs", "lower", "4 KiB random read, 2 threads, p99"),
    ("randread-4k-4t", "randread-4k-4t", "value", "IOPS", "higher", "4 KiB random read, 4 threads"),
    ("randread-4k-4t-p50", "randread-4k-4t", "p50_us", "µs", "lower", "4 KiB random read, 4 threads, p50"),
    ("randread-4k-4t-p99", "randread-4k-4t", "p99_us", "µs", "lower", "4 KiB random read, 4 threads, p99"),
    ("seq-write-1m", "seq-write-1m", "value", "MB/s", "higher", "1 MiB sequential write"),
    ("seq-read-1m", "seq-read-1m", "value", "MB/s", "higher", "1 MiB sequential read"),
    ("new-file-write", "new-file-write", "value", "MB/s", "higher", "1 GiB sequential write into a new file (1 MiB writes, page cache)"),
    ("new-file-rewrite", "new-file-rewrite", "value", "MB/s", "higher", "the same 1 GiB written over it"),
    ("write-4k", "write-4k", "value", "MB/s", "higher", "sequential 4 KiB writes into a new file (page cache), fsync"),
    ("startup", "startup", "value", "ms", "lower", "start → first stat answered"),
    ("syscalls-stat-storm", "syscalls-stat-storm", "value", "calls/req", "lower", "FastFuse syscalls per request, stat storm"),
    ("syscalls-randread-4k", "syscalls-randread-4k", "value", "calls/req", "lower", "FastFuse syscalls per request, 4 KiB reads"),
    ("syscalls-create-write-unlink", "syscalls-create-write-unlink", "value", "calls/req", "lower", "FastFuse syscalls per request, create+write+unlink"),
    ("peak-rss", None, None, "MiB", "lower", "peak RSS of the daemon (max over workloads)"),
    ("peak-rss-meta", None, None, "MiB", "lower", "peak RSS during the stat storm"),
]


GROUP_OF = {"stat-storm": "stat-storm", "ls-walk": "ls-walk", "create-write-unlink": "create-write-unlink",
            "randread-4k": "randread-4k", "seq-write": "seq-rw-1m", "seq-read": "seq-rw-1m", "new-file": "new-file-write",
            "write-4k": "write-4k",
            "startup": "startup", "syscalls-stat-storm": "stat-storm", "syscalls-randread-4k": "randread-4k",
            "syscalls-create-write-unlink": "create-write-unlink"}
GROUP_OF = {row[0]: next(g for k, g in GROUP_OF.items() if row[0].startswith(k)) for row in ROWS
            if not row[0].startswith("peak-rss")}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, unit):
    if v is None:
        return "—"
    if unit in ("µs", "ms", "MiB") or abs(v) < 100:
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"
    return f"{v:,.0f}"


def advantage(ratio, better):
    """>1 means FastFuse is better, whatever the direction of the metric."""
    if ratio is None or ratio <= 0:
        return None
    return ratio if better == "higher" else 1.0 / ratio


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--readme")
    a = ap.parse_args()

    meta = json.load(open(os.path.join(a.work, "meta.json")))
    failures = [l.strip() for l in open(os.path.join(a.work, "failures.txt")) if l.strip()] \
        if os.path.exists(os.path.join(a.work, "failures.txt")) else []
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(a.work, "runs", "[0-9]*.json")))]
    gc = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(a.work, "runs", "gc-*.json")))]

    # ---- medians over rounds
    values = {}   # (peer, row) -> list
    status = {}   # peer -> set of (status, reason)
    for r in runs:
        status.setdefault(r["peer"], set()).add((r["status"], r.get("reason") or ""))
        if r["status"] != "ok":
            continue
        for row, metric, field, unit, better, label in ROWS:
            if metric and metric in r["metrics"]:
                values.setdefault((r["peer"], row), []).append(r["metrics"][metric].get(field))
        if r["rss_hwm_kb"]:
            values.setdefault((r["peer"], "peak-rss"), []).append(r["rss_hwm_kb"] / 1024.0)
            if r["group"] == "stat-storm":
                values.setdefault((r["peer"], "peak-rss-meta"), []).append(r["rss_hwm_kb"] / 1024.0)
    medians = {}
    for (peer, row), xs in values.items():
        xs = [x for x in xs if x is not None]
        if not xs:
            continue
        v = max(xs) if row.startswith("peak-rss") else statistics.median(xs)
        medians.setdefault(peer, {})[row] = {"median": v, "n": len(xs), "min": min(xs), "max": max(xs)}

    def val(peer, row):
        return (medians.get(peer, {}).get(row) or {}).get("median")

    group_status = {}
    for r in runs:
        group_status.setdefault((r["peer"], r["group"]), set()).add((r["status"], r.get("reason") or ""))

    def note(peer, row=None):
        st = status.get(peer)
        if row and not row.startswith("peak-rss"):
            st = group_status.get((peer, GROUP_OF[row]))
        if not st:
            return None
        for s, reason in st:
            if s == "na":
                return f"n/a ({reason})" if reason else "n/a"
        for s, reason in st:
            if s == "failed":
                return "failed"
        return None

    ratios = []
    for row, metric, field, unit, better, label in ROWS:
        for other in OTHERS:
            pv = val(other, row)
            if pv is None:
                continue
            ff = COMPARE[other]
            fv, fallback = val(ff, row), False
            if fv is None and ff != "fastfuse-memfs":
                fv, ff, fallback = val("fastfuse-memfs", row), "fastfuse-memfs", True
            ratio = fv / pv if (fv is not None and pv) else None
            ratios.append({"row": row, "label": label, "unit": unit, "better": better, "peer": other,
                           "fastfuse": ff, "cross_class": fallback, "fastfuse_value": fv, "peer_value": pv,
                           "ratio": ratio, "fastfuse_advantage": advantage(ratio, better)})

    # ---- the C ABI's cost per request: C host - C# MemFs, from the medians of throughput (ns per operation =
    # 1e9 / operations per second over all client threads) and of the p50 latency (one operation as a client sees it)
    boundary = []
    for cpeer, metric, what, reqs in BOUNDARY:
        per = {}
        for peer in (cpeer, "fastfuse-memfs"):
            rs = [r["metrics"][metric] for r in runs if r["peer"] == peer and r["status"] == "ok" and metric in r["metrics"]]
            v, p50 = med([m.get("value") for m in rs]), med([m.get("p50_us") for m in rs])
            per[peer] = (1e9 / v if v else None, p50 * 1000.0 if p50 is not None else None)
        (c_ns, c_p50), (cs_ns, cs_p50) = per[cpeer], per["fastfuse-memfs"]
        if c_ns is None or cs_ns is None:
            continue
        boundary.append({"peer": cpeer, "metric": metric, "operation": what, "requests": reqs, "c_ns_per_op": c_ns, "csharp_ns_per_op": cs_ns,
                         "diff_ns": c_ns - cs_ns, "ratio": c_ns / cs_ns,
                         "c_p50_ns": c_p50, "csharp_p50_ns": cs_p50,
                         "p50_diff_ns": (c_p50 - cs_p50) if c_p50 is not None and cs_p50 is not None else None})

    now = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    doc = {"generated": now, "meta": meta, "failures": failures, "medians": medians, "ratios": ratios, "c_abi_boundary": boundary,
           "gc_alloc": gc, "runs": runs,
           "matrix": {"compare": COMPARE, "classes": PEER_CLASS}}
    os.makedirs(a.results, exist_ok=True)
    json.dump(doc, open(os.path.join(a.results, "latest.json"), "w"), indent=1)

    # ---- markdown
    present = [p for p in PEERS if p in status or p in medians]
    ff_ok = any(p.startswith("fastfuse") and p in medians for p in PEERS)
    L = []
    m = meta
    L.append(f"### Latest results ({m['mode']} run, {m['rounds']} round(s), medians) — {now}")
    L.append("")
    L.append(f"Machine: {m['machine']['cpus']} CPUs ({m['machine']['cpu']}), {m['machine']['mem_gib']} GiB, "
             f"Linux {m['machine']['kernel']}. go-fuse {m['versions'].get('go-fuse','?')} "
             f"({m['versions'].get('go','').replace('go version ','')}), libfuse {m['versions'].get('libfuse3','?')}, "
             f"{m['versions'].get('fio','fio ?')}. Total run time {m['total_seconds']:.0f} s.")
    L.append("")
    if not ff_ok:
        why = m['fastfuse']['status'] if m['fastfuse']['status'] != "ok" else \
            "binary present, but no FastFuse run succeeded (see Notes)"
        L.append(f"**fastfuse: {why}** — FastFuse columns and ratios are empty; "
                 "the peers' figures are real.")
        L.append("")
    short = {"fastfuse-memfs": "FF memfs", "fastfuse-loopback": "FF loopback", "fastfuse-memfs-uring": "FF memfs uring",
             "fastfuse-memfs-fuseuring": "FF memfs fuse-uring", "fastfuse-loopback-fuseuring": "FF loopback fuse-uring",
             "gofuse-memfs": "go-fuse memfs",
             "gofuse-loopback": "go-fuse loopback", "libfuse-passthrough_ll": "libfuse passthrough_ll",
             "libfuse-null": "libfuse null", "fastfuse-memfs-wb": "FF memfs writeback", "fastfuse-loopback-wb": "FF loopback writeback",
             "fastfuse-c-memfs": "FF C memfs", "fastfuse-c-memfs-sync": "FF C memfs sync READ"}
    others = [p for p in OTHERS if p in present]
    pairs = [(u, d, c) for u, d, c in TRANSPORT_PAIRS if u in present and d in present]
    hdr = ["workload", "unit"] + [short[p] for p in present] + [f"FF/{short[p]}" for p in others] + \
          [c for _, _, c in pairs]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    any_cross = False
    for row, metric, field, unit, better, label in ROWS:
        if not any(val(p, row) is not None for p in present):
            continue
        cells = [label, unit + (" ↓" if better == "lower" else " ↑")]
        for p in present:
            v = val(p, row)
            cells.append(fmt(v, unit) if v is not None else ((note(p, row) or "—").split(" (")[0]))
        for o in others:
            rr = next((x for x in ratios if x["row"] == row and x["peer"] == o), None)
            if not rr or rr["ratio"] is None:
                cells.append("—")
                continue
            s = f"{rr['ratio']:.2f}×"
            if rr["fastfuse_advantage"] and rr["fastfuse_advantage"] > 1:
                s = f"**{s}**"
            if rr["cross_class"]:
                s += " ‡"
                any_cross = True
            cells.append(s)
        for u, d, _ in pairs:
            vu, vd = val(u, row), val(d, row)
            if vu is None or not vd:
                cells.append("—")
                continue
            r = vu / vd
            s = f"{r:.2f}×"
            if advantage(r, better) > 1:
                s = f"**{s}**"
            cells.append(s)
        L.append("| " + " | ".join(cells) + " |")
    L.append("")
    L.append("↑ higher is better, ↓ lower is better. FF/peer = FastFuse ÷ peer of the same class "
             "(memfs ↔ go-fuse memfs; loopback ↔ go-fuse loopback and libfuse passthrough_ll over tmpfs; "
             "memfs ↔ libfuse null, the round-trip limit); **bold** = FastFuse better. "
             "FF memfs/loopback = the /dev/fuse transport (devfuse); FF … uring = io_uring on /dev/fuse (-o transport=uring); "
             "FF … fuse-uring = the kernel's FUSE over io_uring (-o transport=fuse-uring); X/devfuse = that transport ÷ "
             "devfuse for the same filesystem in the same run, **bold** = better than devfuse. FF … writeback = devfuse with "
             "-o writeback_cache, on the write workloads; X writeback/without = with it ÷ without it, same run.")
    if any_cross:
        L.append("‡ FastFuse loopback not available: compared with FastFuse memfs instead (memfs does no "
                 "backing-file syscalls, so this flatters FastFuse).")
    if "fastfuse-c-memfs" in present or "fastfuse-c-memfs-sync" in present:
        L.append("FF C memfs = native/examples/memfs.c on libfastfuse.so (the C ABI, asynchronous replies, READ answered "
                 "from its reader thread), devfuse and threads as FF memfs; FF C memfs sync READ = the same with READ "
                 "answered in the callback (-o sync_read); C host…/C# memfs = its figure ÷ FF memfs's, **bold** = the C "
                 "host better.")
    L.append("")
    if boundary:
        L.append("#### The C ABI's cost per request (C memfs host − C# MemFs, same transport and threads)")
        L.append("")
        L.append("| operation | FUSE requests | C# MemFs ns/op | C host ns/op | C − C# ns/op | C/C# | C# p50 ns | C host p50 ns | C − C# p50 ns |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        def ns(v, sign=""):
            return "—" if v is None else format(v, sign + ",.0f")
        for b in boundary:
            L.append(f"| {b['operation']} | {b['requests']} | {ns(b['csharp_ns_per_op'])} | {ns(b['c_ns_per_op'])} | "
                     f"{ns(b['diff_ns'], '+')} | {b['ratio']:.3f}× | {ns(b['csharp_p50_ns'])} | {ns(b['c_p50_ns'])} | "
                     f"{ns(b['p50_diff_ns'], '+')} |")
        L.append("")
        L.append("ns/op = 10⁹ ÷ the median throughput (all client threads together); p50 = the median latency of one "
                 "operation as its client thread sees it. The difference is what a request costs more (or less) when the "
                 "filesystem is C behind the C ABI than when it is C# inside the runtime: the crossing into C and back, "
                 "the reply through fastfuse_reply_* and, for READ, the hand-over to memfs's reader thread and its "
                 "copy under memfs's lock (the sync_read rows leave that hand-over out). A stat() is a LOOKUP and a "
                 "GETATTR here (timeouts 0): per FUSE request, halve it.")
        L.append("")
    # allocation / GC section
    L.append("#### FastFuse allocations and GCs (JIT build, EventPipe System.Runtime counters)")
    L.append("")
    if gc:
        L.append("| workload | requests | bytes allocated / 1,000 req | GCs / 1,000 req | gen0/gen1/gen2 | throughput |")
        L.append("|---|---|---|---|---|---|")
        for g in gc:
            L.append(f"| {g['workload']} | {g['requests']:,} | {g['alloc_bytes_per_1k']:,.0f} | {g['gcs_per_1k']:.3f} | "
                     f"{g['gen0']:.0f}/{g['gen1']:.0f}/{g['gen2']:.0f} | {fmt(g['throughput'], g['unit'])} {g['unit']} |")
        L.append("")
        L.append("Requests = client operations (stat calls, 4 KiB reads). Target: 0 GCs in steady state.")
    else:
        L.append(f"not measured: {m['fastfuse'].get('gc_note') or ('no counters' if m['fastfuse']['status'] == 'ok' else m['fastfuse']['status'])}")
    L.append("")
    stat_notes = sorted({f"{p}: {note(p)}" for p in present if note(p)})
    for k, v in sorted((m.get("peer_limits") or {}).items()):
        L.append(f"- n/a: {k}: {v}")
    if m.get("peer_limits"):
        L.append("")
    if stat_notes or failures:
        L.append("Notes: " + "; ".join(stat_notes))
        L.append("")
        seen = set()
        for f in failures:
            key = f.split(":", 1)[-1][:120]
            if key in seen:
                continue
            seen.add(key)
            L.append(f"- FAILED {f[:400]}")
        L.append("")
    L.append("Plot: [latest.svg](results/latest.svg) · every figure of every round: [latest.json](results/latest.json)")
    md = "\n".join(L) + "\n"
    open(os.path.join(a.results, "latest.md"), "w").write(md)

    # ---- SVG
    svg = plot(ratios, medians, ff_ok, meta, now)
    open(os.path.join(a.results, "latest.svg"), "w").write(svg)

    # ---- README
    if a.readme and os.path.exists(a.readme):
        text = open(a.readme).read()
        b, e = "<!-- perf:latest:begin -->", "<!-- perf:latest:end -->"
        if b in text and e in text:
            md_readme = md.replace("(results/", "(results/")
            text = text[: text.index(b) + len(b)] + "\n" + md_readme + text[text.index(e):]
            open(a.readme, "w").write(text)
    return 0


COLORS = {"gofuse-memfs": "#1f77b4", "gofuse-loopback": "#17becf", "libfuse-passthrough_ll": "#ff7f0e",
          "libfuse-null": "#7f7f7f", "fastfuse-memfs": "#2ca02c", "fastfuse-loopback": "#98df8a",
          "fastfuse-memfs-uring": "#bcbd22", "fastfuse-c-memfs": "#d62728", "fastfuse-c-memfs-sync": "#ff9896", "fastfuse-memfs-fuseuring": "#17becf", "fastfuse-loopback-fuseuring": "#9edae5"}


def plot(ratios, medians, ff_ok, meta, now):
    """Horizontal bars on a log2 axis. With FastFuse: FastFuse advantage per peer
    (>1 = FastFuse better). Without: each peer relative to the best peer (≤ 1)."""
    bars = []  # (row label, peer, x)
    if ff_ok:
        title = "FastFuse advantage over each peer (× ; > 1 = FastFuse better; log scale)"
        for r in ratios:
            if r["fastfuse_advantage"]:
                bars.append((r["label"], r["peer"] + (" ‡" if r["cross_class"] else ""), r["fastfuse_advantage"], r["peer"]))
    else:
        title = f"fastfuse: {meta['fastfuse']['status'][:70]} — peers relative to the best peer (log scale)"
        for row, metric, field, unit, better, label in ROWS:
            vals = {p: (medians.get(p, {}).get(row) or {}).get("median") for p in PEERS}
            vals = {p: v for p, v in vals.items() if v}
            if len(vals) < 2:
                continue
            best = max(vals.values()) if better == "higher" else min(vals.values())
            for p, v in vals.items():
                bars.append((label, p, (v / best) if better == "higher" else (best / v), p))
    labels = []
    for b in bars:
        if b[0] not in labels:
            labels.append(b[0])
    W, left, right, top, bh = 1000, 330, 40, 70, 14
    groups = [(l, [b for b in bars if b[0] == l]) for l in labels]
    H = top + sum(len(g) * bh + 14 for _, g in groups) + 70
    if not bars:
        H = 200
    xs = [b[2] for b in bars] or [1]
    lo = min(min(xs), 0.5)
    hi = max(max(xs), 2.0)
    lo2, hi2 = math.floor(math.log2(lo)), math.ceil(math.log2(hi))
    if lo2 == hi2:
        hi2 += 1

    def X(v):
        return left + (math.log2(v) - lo2) / (hi2 - lo2) * (W - left - right)

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W/2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">{escape(title)}</text>',
         f'<text x="{W/2}" y="40" text-anchor="middle" fill="#555">{escape(meta["mode"])} run, '
         f'{meta["rounds"]} round(s), medians — {escape(now)} — {meta["machine"]["cpus"]} CPUs, Linux '
         f'{escape(meta["machine"]["kernel"])}</text>']
    if not bars:
        o.append(f'<text x="{W/2}" y="100" text-anchor="middle">no data</text></svg>')
        return "\n".join(o)
    axis_bottom = H - 50
    for k in range(lo2, hi2 + 1):
        x = X(2.0 ** k)
        o.append(f'<line x1="{x:.1f}" y1="{top-8}" x2="{x:.1f}" y2="{axis_bottom}" stroke="{"#000" if k == 0 else "#ddd"}" '
                 f'stroke-width="{1.5 if k == 0 else 1}"/>')
        lab = f"{2.0**k:g}×" if k >= 0 else f"1/{2**-k}×"
        o.append(f'<text x="{x:.1f}" y="{axis_bottom+14}" text-anchor="middle">{lab}</text>')
    y = top
    for label, g in groups:
        o.append(f'<text x="{left-8}" y="{y + len(g)*bh/2 + 4:.1f}" text-anchor="end" font-weight="bold">{escape(label)}</text>')
        for _, peer, v, key in g:
            x0, x1 = X(1.0), X(v)
            c = COLORS.get(key, "#999")
            o.append(f'<rect x="{min(x0,x1):.1f}" y="{y+1}" width="{max(abs(x1-x0),1):.1f}" height="{bh-3}" fill="{c}">'
                     f'<title>{escape(peer)}: {v:.3f}</title></rect>')
            tx = x1 + 4 if v >= 1 else x1 - 4
            o.append(f'<text x="{tx:.1f}" y="{y+bh-4}" text-anchor="{"start" if v >= 1 else "end"}" fill="#333">{v:.2f}</text>')
            y += bh
        y += 14
    # legend
    lx = left
    for p in PEERS:
        if any(b[3] == p for b in bars):
            o.append(f'<rect x="{lx}" y="{H-28}" width="12" height="12" fill="{COLORS[p]}"/>')
            o.append(f'<text x="{lx+16}" y="{H-18}">{escape(p)}</text>')
            lx += 30 + 7 * len(p)
    o.append("</svg>")
    return "\n".join(o)


if __name__ == "__main__":
    sys.exit(main())
