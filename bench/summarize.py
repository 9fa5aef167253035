#!/usr/bin/env python3
"""Summarizes a bench/run.sh run: medians over rounds, ratios, added p99, the targets.

Usage: python3 bench/summarize.py [OUT_DIR]   (default bench/out)
Reads OUT_DIR/results.csv and OUT_DIR/meta.json; writes OUT_DIR/results.json and
OUT_DIR/summary.md, and prints the summary.

bench/run.sh also calls `summarize.py --record CSV key=value...` after each wrk run to turn the raw
counters (wrk's figures, /proc/PID/stat ticks before:after, /proc/stat) into one CSV row.
"""

import csv
import json
import statistics
import sys
from pathlib import Path

# The targets, from the benchmark issue.
THROUGHPUT_TARGET = 1.0  # Portcullis http_proxy rps / nginx proxy rps
ADDED_P99_TARGET_MS = 1.0  # Portcullis p99 - direct p99, at 64 connections
TARGET_CONNECTIONS = 64
PORTCULLIS_PROXY_PATHS = ["portcullis-1w", "portcullis-default"]
# The AWS_IAM issue: the signed route against the same route and request with auth off, same
# server (portcullis-1w, the unsigned request to the catch-all route, when that was not run).
IAM_PATH, IAM_BASELINES, IAM_TARGET = "portcullis-iam", ["portcullis-iam-off", "portcullis-1w"], 0.85
NOISY_PCT = 10.0  # median share of the machine used by other work above which latency is flagged
DIRECT = "direct"
NGINX = "nginx-proxy"


def num(v):
    return float(v) if v not in ("", None) else None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec, suffix=""):
    return "—" if v is None else f"{v:{spec}}{suffix}"


COLUMNS = [
    "round", "scenario", "measure", "url", "threads", "connections", "duration_s", "requests", "rps",
    "p50_us", "p75_us", "p90_us", "p99_us", "p999_us", "lat_mean_us", "lat_max_us", "non2xx",
    "socket_errors", "proxy_cpu_s", "proxy_cpu_us_per_req", "proxy_user_us_per_req",
    "proxy_sys_us_per_req", "proxy_ctxsw_per_req", "upstream_cpu_s", "upstream_cpu_us_per_req",
    "wrk_cpu_s", "wrk_cpu_us_per_req", "machine_busy_pct", "other_cpu_pct", "started_at",
]


def record(csv_path, pairs):
    """Appends one run to the CSV from bench/run.sh's raw counters."""
    kv = dict(p.split("=", 1) for p in pairs)
    tck = int(kv["clk_tck"])
    requests = int(kv["requests"])
    duration_s = int(kv["duration_us"]) / 1e6
    procs = {}
    for k, v in kv.items():
        if k.startswith("proc."):
            u0, s0, c0, u1, s1, c1 = (int(x) for x in v.split(":"))
            procs[k[5:]] = ((u1 - u0) / tck, (s1 - s0) / tck, c1 - c0)
    wrk_u, wrk_s = (float(x) for x in kv["wrk_cpu"].split(":"))
    busy0, total0, busy1, total1 = (int(x) for x in kv["machine"].split(":"))
    busy, total = (busy1 - busy0) / tck, (total1 - total0) / tck
    ours = sum(u + s for u, s, _ in procs.values()) + wrk_u + wrk_s
    pu, ps, pc = procs.get(kv["measure"], (0.0, 0.0, 0))
    uu, us, _ = procs.get("upstream", (0.0, 0.0, 0))
    per = lambda x: f"{x * 1e6 / requests:.2f}"
    sockerr = sum(int(kv[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    row = {
        "round": kv["round"], "scenario": kv["scenario"], "measure": kv["measure"], "url": kv["url"],
        "threads": kv["threads"], "connections": kv["connections"], "duration_s": f"{duration_s:.3f}",
        "requests": requests, "rps": f"{requests / duration_s:.1f}",
        "p50_us": kv["p50_us"], "p75_us": kv["p75_us"], "p90_us": kv["p90_us"], "p99_us": kv["p99_us"],
        "p999_us": kv["p999_us"], "lat_mean_us": kv["lat_mean_us"], "lat_max_us": kv["lat_max_us"],
        "non2xx": kv["status_errors"], "socket_errors": sockerr,
        "proxy_cpu_s": f"{pu + ps:.2f}", "proxy_cpu_us_per_req": per(pu + ps),
        "proxy_user_us_per_req": per(pu), "proxy_sys_us_per_req": per(ps),
        "proxy_ctxsw_per_req": f"{pc / requests:.3f}",
        "upstream_cpu_s": f"{uu + us:.2f}", "upstream_cpu_us_per_req": per(uu + us),
        "wrk_cpu_s": f"{wrk_u + wrk_s:.2f}", "wrk_cpu_us_per_req": per(wrk_u + wrk_s),
        "machine_busy_pct": f"{100 * busy / total:.1f}" if total else "",
        "other_cpu_pct": f"{max(0.0, 100 * (busy - ours) / total):.1f}" if total else "",
        "started_at": kv["started_at"],
    }
    new = not Path(csv_path).exists() or Path(csv_path).stat().st_size == 0
    with open(csv_path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        if new:
            w.writeheader()
        w.writerow(row)
    warn = ""
    if int(row["non2xx"]) or sockerr:
        warn = f"  WARNING: {row['non2xx']} non-2xx, {sockerr} socket errors"
    print(
        f"{row['scenario']:>20} round {row['round']}: {float(row['rps']):>9,.0f} rps"
        f"  p50 {int(row['p50_us']) / 1000:.2f} ms  p99 {int(row['p99_us']) / 1000:.2f} ms"
        f"  CPU {row['proxy_cpu_us_per_req']} us/req (user {row['proxy_user_us_per_req']},"
        f" sys {row['proxy_sys_us_per_req']})  machine busy {row['machine_busy_pct']} %,"
        f" not ours {row['other_cpu_pct']} %{warn}",
        file=sys.stderr,
    )


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--record":
        record(sys.argv[2], sys.argv[3:])
        return
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "out")
    meta = json.loads((out / "meta.json").read_text())
    with open(out / "results.csv", newline="") as f:
        runs = list(csv.DictReader(f))
    if not runs:
        sys.exit("no runs in results.csv")

    order = [s["name"] for s in meta["scenarios"]]
    desc = {s["name"]: s["description"] for s in meta["scenarios"]}
    by = {name: [r for r in runs if r["scenario"] == name] for name in order}

    summary = {}
    for name, rs in by.items():
        if not rs:
            continue
        summary[name] = {
            "description": desc[name],
            "measure": rs[0]["measure"],
            "rounds": len(rs),
            "rps": med(num(r["rps"]) for r in rs),
            "rps_rounds": [num(r["rps"]) for r in rs],
            "p50_ms": med(num(r["p50_us"]) / 1000 for r in rs),
            "p99_ms": med(num(r["p99_us"]) / 1000 for r in rs),
            "p99_ms_rounds": [num(r["p99_us"]) / 1000 for r in rs],
            "p999_ms": med(num(r["p999_us"]) / 1000 for r in rs),
            "proxy_cpu_us_per_req": med(num(r["proxy_cpu_us_per_req"]) for r in rs),
            "proxy_cpu_us_per_req_rounds": [num(r["proxy_cpu_us_per_req"]) for r in rs],
            "proxy_user_us_per_req": med(num(r["proxy_user_us_per_req"]) for r in rs),
            "proxy_sys_us_per_req": med(num(r["proxy_sys_us_per_req"]) for r in rs),
            "proxy_ctxsw_per_req": med(num(r["proxy_ctxsw_per_req"]) for r in rs),
            "upstream_cpu_us_per_req": med(num(r["upstream_cpu_us_per_req"]) for r in rs),
            "wrk_cpu_us_per_req": med(num(r["wrk_cpu_us_per_req"]) for r in rs),
            "machine_busy_pct": med(num(r["machine_busy_pct"]) for r in rs),
            "other_cpu_pct": med(num(r["other_cpu_pct"]) for r in rs),
            "non2xx": sum(int(r["non2xx"]) for r in rs),
            "socket_errors": sum(int(r["socket_errors"]) for r in rs),
        }
    direct = summary.get(DIRECT)
    nginx = summary.get(NGINX)
    for name, s in summary.items():
        s["rps_vs_nginx"] = s["rps"] / nginx["rps"] if nginx else None
        s["rps_vs_direct"] = s["rps"] / direct["rps"] if direct else None
        s["added_p99_ms"] = s["p99_ms"] - direct["p99_ms"] if direct else None
        s["cpu_vs_nginx"] = (
            s["proxy_cpu_us_per_req"] / nginx["proxy_cpu_us_per_req"]
            if nginx and nginx["proxy_cpu_us_per_req"] and name not in (DIRECT,)
            else None
        )

    conns = int(meta["connections"])
    lines = []
    w = lines.append
    w(f"## Results {meta['date']}")
    w("")
    w(
        f"Machine: {meta['nproc']} CPUs, {meta['cpu_model']}"
        + (f" ({meta['hypervisor']} guest)" if meta.get("hypervisor") else "")
        + f", {meta['memory']} RAM, Linux {meta['kernel']}; {meta['nginx']}; wrk {meta['wrk']};"
        f" portcullis {meta['portcullis_version'].replace('portcullis ', '')} (git {meta['git_head']})."
    )
    w(
        f"Load: `wrk -t{meta['threads']} -c{conns} -d{meta['duration']} --latency`, "
        f"{meta['rounds']} alternating rounds after a {meta['warmup']} warm-up per path; "
        "every figure is the median over the rounds. Portcullis default = "
        f"{meta['portcullis_default_workers']} worker threads."
    )
    w("")
    w(
        "| path | requests/s | p50 | p99 | proxy CPU µs/req | upstream CPU µs/req "
        "| rps ÷ nginx proxy | rps ÷ direct | added p99 |"
    )
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in order:
        s = summary.get(name)
        if not s:
            continue
        cpu = "—" if name == DIRECT and s["measure"] == "upstream" else fmt(s["proxy_cpu_us_per_req"], ".1f")
        w(
            f"| {name} | {fmt(s['rps'], ',.0f')} | {fmt(s['p50_ms'], '.2f', ' ms')} "
            f"| {fmt(s['p99_ms'], '.2f', ' ms')} | {cpu} | {fmt(s['upstream_cpu_us_per_req'], '.1f')} "
            f"| {fmt(s['rps_vs_nginx'], '.2f', '×')} | {fmt(s['rps_vs_direct'], '.2f', '×')} "
            f"| {fmt(s['added_p99_ms'], '+.2f', ' ms')} |"
        )
    w("")
    w("Per round (requests/s; proxy CPU µs/request; p99 ms) and machine load:")
    w("")
    w(
        "| path | rps by round | CPU µs/req by round | p99 (ms) by round | CPU user + sys µs/req "
        "| context switches/req | wrk CPU µs/req | machine busy | not ours |"
    )
    w("|---|---|---|---|---:|---:|---:|---:|---:|")
    for name in order:
        s = summary.get(name)
        if not s:
            continue
        w(
            f"| {name} | {' / '.join(f'{v:,.0f}' for v in s['rps_rounds'])} "
            f"| {' / '.join(f'{v:.1f}' for v in s['proxy_cpu_us_per_req_rounds'])} "
            f"| {' / '.join(f'{v:.2f}' for v in s['p99_ms_rounds'])} "
            f"| {fmt(s['proxy_user_us_per_req'], '.1f')} + {fmt(s['proxy_sys_us_per_req'], '.1f')} "
            f"| {fmt(s['proxy_ctxsw_per_req'], '.2f')} "
            f"| {fmt(s['wrk_cpu_us_per_req'], '.1f')} | {fmt(s['machine_busy_pct'], '.0f', ' %')} "
            f"| {fmt(s['other_cpu_pct'], '.0f', ' %')} |"
        )
    w("")
    w(
        "\"proxy CPU\" is the utime+stime of the process serving the path (for nginx: master and worker), "
        "for `direct` the upstream itself; \"not ours\" is the machine's busy time not spent by the "
        "benchmark's processes or wrk (other work on the shared machine)."
    )

    instructions = []
    icsv = out / "callgrind" / "instructions.csv"
    if icsv.exists():
        with open(icsv, newline="") as f:
            instructions = list(csv.DictReader(f))
    if instructions:
        base = next((int(r["instructions_per_request"]) for r in instructions if r["scenario"] == NGINX), None)
        w("")
        w(
            "User-space instructions per request (valgrind callgrind, `wrk -t1 -c8`, collection on only "
            "while wrk runs; the kernel's share is not counted). Unlike time, this count does not depend "
            "on what else the machine is doing:"
        )
        w("")
        w("| path | instructions/request | ÷ nginx proxy |")
        w("|---|---:|---:|")
        for r in instructions:
            ipr = int(r["instructions_per_request"])
            w(f"| {r['scenario']} | {ipr:,} | {fmt(ipr / base if base else None, '.1f', '×')} |")

    errors = [(n, s) for n, s in summary.items() if s["non2xx"] or s["socket_errors"]]
    if errors:
        w("")
        for n, s in errors:
            w(f"**WARNING**: {n}: {s['non2xx']} non-2xx answers, {s['socket_errors']} socket errors; its figures are not valid.")

    others = med(num(r["other_cpu_pct"]) for r in runs)
    if others is not None and others > NOISY_PCT:
        w("")
        w(
            f"**CAUTION**: other work on the machine used a median {others:.0f} % of its CPU during the runs "
            "(the \"not ours\" column): requests/s and especially p99 are disturbed; CPU µs/request is the "
            "figure to trust. Re-run on a quiet machine (`WAIT_QUIET=600`) for latency."
        )
    w("")
    w("### Targets")
    w("")
    targets = []
    note = "" if conns == TARGET_CONNECTIONS else f" (measured at {conns} connections; the target is stated for {TARGET_CONNECTIONS})"
    for name in PORTCULLIS_PROXY_PATHS:
        s = summary.get(name)
        if not s:
            continue
        label = f"{name} ({s['description'].split(', ', 1)[-1]})"
        if s["rps_vs_nginx"] is not None:
            r = s["rps_vs_nginx"]
            ok = r >= THROUGHPUT_TARGET
            detail = (
                f"{r:.2f}× nginx's requests/s"
                + ("" if ok else f": short by {100 * (THROUGHPUT_TARGET - r) / THROUGHPUT_TARGET:.0f} % "
                   f"({s['rps']:,.0f} vs {nginx['rps'] * THROUGHPUT_TARGET:,.0f} rps needed)")
            )
            targets.append({"target": f"throughput ≥ {THROUGHPUT_TARGET:.1f}× nginx", "path": name, "value": r, "met": ok})
            w(f"- Throughput ≥ {THROUGHPUT_TARGET:.1f}× nginx, {label}: **{'MET' if ok else 'MISSED'}** — {detail}")
        if s["added_p99_ms"] is not None:
            a = s["added_p99_ms"]
            ok = a <= ADDED_P99_TARGET_MS
            detail = f"added p99 {a:+.2f} ms (p99 {s['p99_ms']:.2f} ms − direct {direct['p99_ms']:.2f} ms)" + (
                "" if ok else f": {a - ADDED_P99_TARGET_MS:.2f} ms over"
            )
            targets.append({"target": f"added p99 ≤ {ADDED_P99_TARGET_MS} ms", "path": name, "value": a, "met": ok})
            w(f"- Added p99 ≤ {ADDED_P99_TARGET_MS:.0f} ms at {TARGET_CONNECTIONS} connections{note}, {label}: **{'MET' if ok else 'MISSED'}** — {detail}")
    iam = summary.get(IAM_PATH)
    baseline = next((b for b in IAM_BASELINES if b in summary), None)
    if iam and baseline:
        plain = summary[baseline]
        r = iam["rps"] / plain["rps"]
        by_round = " / ".join(f"{a / b:.2f}" for a, b in zip(iam["rps_rounds"], plain["rps_rounds"]))
        ok = r >= IAM_TARGET
        targets.append({"target": f"AWS_IAM throughput ≥ {IAM_TARGET}× without auth", "path": IAM_PATH, "value": r, "met": ok})
        w(
            f"- AWS_IAM route throughput ≥ {IAM_TARGET:.2f}× the same proxy without auth ({baseline}): "
            f"**{'MET' if ok else 'MISSED'}** — {r:.2f}× (rounds {by_round}); CPU per request "
            f"{iam['proxy_cpu_us_per_req']:.1f} vs {plain['proxy_cpu_us_per_req']:.1f} µs"
        )
    if nginx and direct:
        w(
            f"- For reference, nginx proxy: {nginx['rps_vs_direct']:.2f}× direct, added p99 "
            f"{nginx['added_p99_ms']:+.2f} ms, {nginx['proxy_cpu_us_per_req']:.1f} µs CPU per request."
        )

    text = "\n".join(lines) + "\n"
    (out / "summary.md").write_text(text)
    (out / "results.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "summary": summary,
                "targets": targets,
                "other_cpu_pct": others,
                "instructions": instructions,
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )
    print(text)
    print(f"raw results: {out / 'results.csv'}, {out / 'results.json'}; wrk output: {out / 'raw'}/")


if __name__ == "__main__":
    main()
