"""`python -m bench.readme`: the README's figures tables, from the last `make bench` and
`make loadtest` results in bench/results/ (nothing is measured here)."""

import json

from bench.measure import Result
from bench.report import RESULTS_DIR, table


def bench_section() -> str:
    path = RESULTS_DIR / "latest.json"
    if not path.exists():
        return "(no `make bench` results yet)"
    data = json.loads(path.read_text())
    machine = data["machine"]
    results = [Result(**figure) for figure in data["figures"]]
    mode = "quick" if data["settings"].get("quick") else "full"
    return (
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM; "
        f"Python {machine['python']}, Django {machine['django']}, {machine['database']}; "
        f"{mode} run.\n\n" + table(results)
    )


def loadtest_section() -> str:
    rows = [
        "| run | requests/s | p50 | p95 | p99 | 5xx | lost writes | writes ok / conflicts "
        "| “database is locked” | worker peak memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    machines: list[str] = []
    for db in ("postgres", "sqlite"):
        path = RESULTS_DIR / f"loadtest-{db}.json"
        if not path.exists():
            continue
        s = json.loads(path.read_text())
        if s.get("machine") and s["machine"] not in machines:
            machines.append(s["machine"])
        latency = s["latency_ms"]
        conflicts = sum(v for k, v in s["writes"].items() if k.endswith("conflict"))
        who = "writers" if s.get("writers") else "reviewers"
        locked = s["database_locked"] if db == "sqlite" else "—"
        rows.append(
            f"| {db}: {s['users']} {who}, {s['duration_s']:.0f} s, {s['gunicorn']} "
            f"| {s['requests_per_s']} | {latency['p50']} ms | {latency['p95']} ms "
            f"| {latency['p99']} ms | {s['server_errors']} | {s['lost_writes']} "
            f"| {s['successful_writes']} / {conflicts} | {locked} "
            f"| {s.get('worker_peak_mb', '—')} MB |"
        )
    return "".join(f"- Machine: {m}\n" for m in machines) + "\n" + "\n".join(rows)


if __name__ == "__main__":
    print(bench_section())
    print()
    print(loadtest_section())
