"""Summarizes bench/run.sh's OVERLOAD=1 runs: hey's per-request CSV (-o csv) for each offered
rate, against a method throttle of LIMIT requests/s. Usage: overload.py DIR LIMIT SECONDS."""
import csv
import pathlib
import sys

d, limit, dur = pathlib.Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
# The bucket starts full: its burst is admitted on top of the rate at first. The steady rate is
# measured after the first SETTLE seconds (hey's `offset` column: when each request started).
SETTLE = 2.0
rows = []
for f in sorted(d.glob("x*.csv"), key=lambda p: float(p.stem[1:])):
    lat_ok, n_ok, n_429, n_other, n_ok_settled = [], 0, 0, 0, 0
    for r in csv.DictReader(open(f)):
        code = r.get("status-code")
        if code == "200":
            n_ok += 1
            n_ok_settled += float(r["offset"]) >= SETTLE
            lat_ok.append(float(r["response-time"]) * 1000)
        elif code == "429":
            n_429 += 1
        else:
            n_other += 1
    lat_ok.sort()

    def pct(q):
        return lat_ok[min(len(lat_ok) - 1, int(q * len(lat_ok)))] if lat_ok else float("nan")

    total = n_ok + n_429 + n_other
    steady = n_ok_settled / (dur - SETTLE)
    rows.append((f.stem[1:], total / dur, n_ok / dur, steady, steady / limit,
                 n_429 / max(total, 1), n_other, pct(0.5), pct(0.99)))
out = ["| offered × limit | offered req/s | admitted req/s (whole run) | admitted req/s after %gs | steady ÷ limit | 429 share | other errors | p50 ms (admitted) | p99 ms (admitted) |" % SETTLE,
       "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    out.append("| %s | %.0f | %.0f | %.0f | %.2f | %.1f %% | %d | %.2f | %.2f |" % (r[0], r[1], r[2], r[3], r[4], 100 * r[5], r[6], r[7], r[8]))
text = "\n".join(out)
(d / "overload.md").write_text(text + "\n")
print(text)
