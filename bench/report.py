"""The machine a run happened on, the figures table, and the JSON file."""

import json
import os
import platform
import sqlite3
from pathlib import Path

import django
from django.db import connection

from bench.measure import Result

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    if connection.vendor == "sqlite":
        database = f"SQLite {sqlite3.sqlite_version} (WAL)"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    return {
        "cpu": cpu or "unknown",
        "cores": os.cpu_count(),
        "ram_gib": ram_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
    }


def describe_machine(info: dict) -> str:
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM; {info['os']}; "
        f"Python {info['python']}, Django {info['django']}, {info['database']}"
    )


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def _target(result: Result) -> str:
    if result.target_ms is None:
        return ""
    if result.figure.startswith("peak memory"):
        return f"≤ {result.target_ms:.0f} MB"
    return f"≤ {_ms(result.target_ms)}"


def _verdict(result: Result) -> str:
    return {True: "pass", False: "FAIL", None: "—"}[result.passed]


def table(results: list[Result]) -> str:
    """A Markdown table (readable in a terminal and pasteable into the README)."""
    rows = [
        "| figure | median | p95 | queries | peak alloc | target | result | note |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for r in results:
        if r.figure.startswith("peak memory"):
            median = f"{r.median_ms:.0f} MB" if r.median_ms is not None else "—"
            p95 = ""
        else:
            median, p95 = _ms(r.median_ms), _ms(r.p95_ms)
        peak = f"{r.peak_kib / 1024:.1f} MiB" if r.peak_kib is not None else ""
        queries = "" if r.queries is None else str(r.queries)
        rows.append(
            f"| {r.figure} | {median} | {p95} | {queries} | {peak} | {_target(r)} | "
            f"{_verdict(r)} | {r.note} |"
        )
    return "\n".join(rows)


def write_json(results: list[Result], info: dict, settings: dict, name: str = "latest.json"):
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text(
        json.dumps(
            {"machine": info, "settings": settings, "figures": [r.as_dict() for r in results]},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return path
