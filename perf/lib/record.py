#!/usr/bin/env python3
"""perf/lib/record.py — turn the raw outputs of one perf/run step into a JSON record.

  record.py --out FILE --peer P --group G --round N --status ok|na|failed --reason TEXT
            --startup-ms MS --rss-hwm-kb KB --rss-kb KB  NAME=KIND:FILE ...
  record.py --summary NAME=KIND:FILE ...                      (one progress line)
  record.py --gc-out FILE --workload W --counters JSONL --window T0 T1
            --result KIND:FILE [--ops N] --jit CMD            (EventPipe counters)

KIND is drv (metadrv JSON), fio-read, fio-write (fio --output-format=json), startup or ffstats (FastFuse --stats).
Standard library only.
"""
import argparse, json, statistics, sys


def load_json(path):
    with open(path) as f:
        text = f.read()
    # fio may print notes before the JSON document
    i = text.find("{")
    return json.loads(text[i:])


def fio_dir(doc, rw):
    jobs = doc.get("jobs") or []
    if not jobs:
        raise ValueError("fio output has no jobs")
    return jobs[0][rw]


def pct(d, key):
    p = (d.get("clat_ns") or {}).get("percentile") or {}
    v = p.get(key)
    return None if v is None else v / 1000.0


def metric(kind, path):
    """Standard metric: value (primary figure), unit, better, plus extra fields."""
    if kind == "drv":
        d = load_json(path)
        op = d.get("op")
        if op == "statstorm":
            return {"value": d["ops_per_s"], "unit": "stats/s", "better": "higher", "ops": d["ops"],
                    "threads": d["threads"], "elapsed_s": d["elapsed_s"], "p50_us": d["p50_us"],
                    "p99_us": d["p99_us"], "max_us": d["max_us"], "errors": d["errors"]}
        if op == "walk":
            return {"value": d["entries_per_s"], "unit": "entries/s", "better": "higher",
                    "entries": d["entries"], "elapsed_s": d["elapsed_s"], "errors": d["errors"]}
        if op == "cwu":
            return {"value": d["files_per_s"], "unit": "files/s", "better": "higher", "files": d["files"],
                    "elapsed_s": d["elapsed_s"], "create_per_s": d["create_per_s"], "unlink_per_s": d["unlink_per_s"],
                    "create_p50_us": d["create"]["p50_us"], "create_p99_us": d["create"]["p99_us"],
                    "unlink_p50_us": d["unlink"]["p50_us"], "unlink_p99_us": d["unlink"]["p99_us"]}
        raise ValueError(f"unknown driver output {op}")
    if kind == "fio-read":
        r = fio_dir(load_json(path), "read")
        return {"value": r["iops"], "unit": "IOPS", "better": "higher", "mb_s": r["bw_bytes"] / 1e6,
                "io_bytes": r["io_bytes"], "p50_us": pct(r, "50.000000"), "p99_us": pct(r, "99.000000"),
                "mean_us": (r.get("clat_ns") or {}).get("mean", 0) / 1000.0, "runtime_ms": r.get("runtime")}
    if kind == "fio-write":
        w = fio_dir(load_json(path), "write")
        return {"value": w["bw_bytes"] / 1e6, "unit": "MB/s", "better": "higher", "iops": w["iops"],
                "io_bytes": w["io_bytes"], "p50_us": pct(w, "50.000000"), "p99_us": pct(w, "99.000000"),
                "runtime_ms": w.get("runtime")}
    if kind == "ffstats":
        # FastFuse's --stats at exit: "requests: total=N ..." and "syscalls: read=.. per-request=X".
        total, calls = None, {}
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("requests: total="):
                    total = int(line.split("total=", 1)[1].split()[0])
                elif line.startswith("syscalls:"):
                    for kv in line.split()[1:]:
                        k, _, v = kv.partition("=")
                        try:
                            calls[k] = float(v)
                        except ValueError:
                            pass
        if total is None or "per-request" not in calls:
            raise ValueError("no --stats in the daemon log")
        return {"value": calls["per-request"], "unit": "syscalls/request", "better": "lower", "requests": total,
                **{k: v for k, v in calls.items() if k != "per-request"}}
    if kind == "startup":
        d = load_json(path)
        s = d["samples_ms"]
        return {"value": statistics.median(s), "unit": "ms", "better": "lower", "samples_ms": s}
    raise ValueError(f"unknown kind {kind}")


def parse_metrics(items):
    out = {}
    for it in items:
        name, rest = it.split("=", 1)
        kind, path = rest.split(":", 1)
        m = metric(kind, path)
        if name.startswith("seq-read"):  # sequential read is reported in MB/s
            m = dict(m, value=m["mb_s"], unit="MB/s", iops=m["value"])
        m["raw"] = path
        out[name] = m
    return out


def fmt(v):
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out"); ap.add_argument("--peer"); ap.add_argument("--group"); ap.add_argument("--round", type=int)
    ap.add_argument("--status"); ap.add_argument("--reason", default=""); ap.add_argument("--startup-ms", default="")
    ap.add_argument("--rss-hwm-kb", default="0"); ap.add_argument("--rss-kb", default="0")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--gc-out"); ap.add_argument("--workload"); ap.add_argument("--counters")
    ap.add_argument("--window", nargs=2, type=float); ap.add_argument("--result"); ap.add_argument("--ops", type=int)
    ap.add_argument("--jit", default="")
    ap.add_argument("metrics", nargs="*")
    a = ap.parse_args()

    if a.summary:
        ms = parse_metrics(a.metrics)
        parts = []
        for k, m in ms.items():
            s = f"{k} {fmt(m['value'])} {m['unit']}"
            if m.get("p99_us") is not None and m["unit"] in ("IOPS", "stats/s"):
                s += f" (p50 {m['p50_us']:.1f} µs, p99 {m['p99_us']:.1f} µs)"
            parts.append(s)
        print("; ".join(parts) or "no metric")
        return 0

    if a.gc_out:
        t0, t1 = a.window
        sums, heap, idle, n_alloc = {}, [], [], 0
        interval = 1.0
        with open(a.counters) as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                interval = ev.get("interval") or interval
                # idle baseline: the counters' own machinery allocates a little every interval
                if ev["name"] == "alloc-rate" and t0 - 2.6 < ev["t"] <= t0:
                    idle.append(ev["value"])
                if ev["name"] == "alloc-rate" and t0 < ev["t"] <= t1 + interval * 1.2:
                    n_alloc += 1
                # a counter event covers (t - interval, t]: keep those that end inside the window
                if not (t0 < ev["t"] <= t1 + interval * 1.2):
                    continue
                if ev["kind"] == "Sum":
                    sums[ev["name"]] = sums.get(ev["name"], 0.0) + ev["value"]
                elif ev["name"] == "gc-heap-size":
                    heap.append(ev["value"])
        if not sums:
            print("no counter values inside the window", file=sys.stderr)
            return 1
        kind, path = a.result.split(":", 1)
        m = metric(kind, path)
        ops = a.ops if a.ops else int(m["io_bytes"] // 4096)
        gcs = sum(sums.get(f"gen-{g}-gc-count", 0.0) for g in range(3))
        baseline = statistics.median(idle) if idle else 0.0
        alloc = max(sums.get("alloc-rate", 0.0) - baseline * n_alloc, 0.0)
        rec = {"workload": a.workload, "requests": ops, "request_unit": "client operations (stat calls / 4 KiB reads)",
               "window_s": t1 - t0, "alloc_bytes": alloc, "alloc_bytes_raw": sums.get("alloc-rate", 0.0),
               "idle_alloc_bytes_per_interval": baseline, "intervals": n_alloc,
               "alloc_bytes_per_1k": alloc * 1000.0 / ops,
               "gen0": sums.get("gen-0-gc-count", 0.0), "gen1": sums.get("gen-1-gc-count", 0.0),
               "gen2": sums.get("gen-2-gc-count", 0.0), "gcs": gcs, "gcs_per_1k": gcs * 1000.0 / ops,
               "gc_heap_size_mb_max": max(heap) if heap else None, "throughput": m["value"], "unit": m["unit"],
               "counters": {k: v for k, v in sorted(sums.items())}, "jit_command": a.jit, "raw": a.counters}
        json.dump(rec, open(a.gc_out, "w"), indent=1)
        return 0

    rec = {"peer": a.peer, "group": a.group, "round": a.round, "status": a.status, "reason": a.reason,
           "startup_ms": float(a.startup_ms) if a.startup_ms else None,
           "rss_hwm_kb": int(a.rss_hwm_kb or 0), "rss_kb": int(a.rss_kb or 0), "metrics": {}}
    if a.status == "ok":
        try:
            rec["metrics"] = parse_metrics(a.metrics)
        except Exception as e:  # a workload whose output cannot be read did not run
            rec["status"], rec["reason"] = "failed", f"unreadable output: {e}"
            json.dump(rec, open(a.out, "w"), indent=1)
            print(f"record.py: {a.peer} {a.group}: {e}", file=sys.stderr)
            return 1
    json.dump(rec, open(a.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
