"""Where a proxy's user-space instructions go: sums callgrind's self cost per function into a few
named parts (server codec, pipeline, backend client, allocator, ...) and prints them per request.

Usage: breakdown.py CALLGRIND_DIR  (bench/run.sh's OUT/callgrind, from CALLGRIND=1)

Every function is put in the first part whose pattern its symbol matches, so the parts add up to
the total. Self cost, not inclusive: a part is the work done in its own code (hyper's request
parser, the gateway's phases), with what they call counted where it runs (the allocator, memcpy).
"""
import csv
import pathlib
import re
import subprocess
import sys

# (part, pattern on the demangled symbol), first match wins. hyper's HTTP/1 roles name the side:
# `role::Server` parses requests and encodes responses, `role::Client` the reverse.
PARTS = [
    ("allocator", r"\b(malloc|free|realloc|calloc|cfree|_int_malloc|_int_free|_int_realloc|malloc_consolidate|tcache_\w+|__libc_\w*alloc|__rust_(alloc|dealloc|realloc)|alloc::alloc::)"),
    ("memcpy/memset", r"\b(__memcpy|__memmove|__memset|memcpy|memmove|memset|__memcmp|memcmp|bcmp)\w*"),
    ("server codec (hyper, server side)", r"hyper::proto::h1::role::Server|hyper::server::|hyper_util::server"),
    ("backend client (hyper, client side)", r"hyper::proto::h1::role::Client|hyper::client::|hyper_util::client"),
    ("hyper, either side (connection, buffers, dispatch)", r"\bhyper::|httparse::"),
    ("backend client (gateway)", r"\bgateway::client::"),
    ("pipeline (gateway phases, routing, responses)", r"\bgateway::|\brouter::|\brestapi::|\biam::|\bsigv4::|\bconfig::"),
    ("telemetry (metrics, access log, trace ids)", r"\btelemetry::|\btracing|\bmetrics::|\bprometheus"),
    ("http types (header maps, URIs)", r"\bhttp::|\bbytes::"),
    ("tokio (runtime, I/O driver, timers)", r"\btokio::|\bmio::"),
    ("libc and the rest", r""),
]

LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.+?)(?:\s+\[[^\]]*\])?$")


def parts_of(out_file):
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", "--inclusive=no", "--auto=no", str(out_file)],
        capture_output=True, text=True, check=True,
    ).stdout
    sums = {name: 0 for name, _ in PARTS}
    in_table, rows = False, 0
    for line in text.splitlines():
        if "file:function" in line:
            in_table = True
            continue
        if not in_table:
            continue
        if line.startswith("--"):
            if rows:
                break
            continue
        m = LINE.match(line)
        if not m:
            continue
        cost = int(m.group(1).replace(",", ""))
        rows += 1
        symbol = m.group(2).split(":", 1)[-1] if ":" in m.group(2) else m.group(2)
        for name, pattern in PARTS:
            if re.search(pattern, symbol):
                sums[name] += cost
                break
    return sums


def main():
    d = pathlib.Path(sys.argv[1])
    rows = list(csv.DictReader(open(d / "instructions.csv")))
    for row in rows:
        sums = parts_of(d / f"{row['scenario']}.callgrind.out")
        requests = int(row["requests"])
        total = sum(sums.values())
        print(f"\n{row['scenario']}: {int(row['instructions_per_request']):,} instructions/request")
        print("| part | instructions/request | share |\n|---|---:|---:|")
        for name, cost in sorted(sums.items(), key=lambda kv: -kv[1]):
            if cost:
                print(f"| {name} | {cost // requests:,} | {100 * cost / total:.1f} % |")


if __name__ == "__main__":
    main()
