"""The API's figures (issue 18): GET a claim (≤ 3 ms), list 100 claims with their citations
(≤ 10 ms), an annotation page of 200 (≤ 15 ms), create a claim (≤ 8 ms, the page's target);
and a check that the lists' query counts do not grow with their page size.

Requests go through Django's test client with a personal token, as a script sends them.
"""

import json
import random

from django.test import Client
from django.urls import reverse

from annotations.models import ApiToken, Claim
from bench import data
from bench.measure import Result, measure

TARGETS = {"claim": 3, "list": 10, "page": 15, "create": 8}


def _ok(status: int):
    def check(response):
        if response.status_code != status:
            return f"HTTP {response.status_code}: {response.content[:120]!r}"
        return None

    return check


def figures(rng: random.Random, reviewer, *, runs: int, warmup: int, log) -> list[Result]:
    log("building an article with 250 claims and 250 citations for the API")
    sources = data.make_sources(rng, 40, tag="api")
    built = data.make_article(
        rng, claims=250, sources=sources, citations=250, author=reviewer, tag="api"
    )
    article = built.article
    _token, secret = ApiToken.issue(reviewer, "bench")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    claim = built.claims[0]
    results = []

    claim_url = reverse("api-v1:claim-detail", args=[claim.pk])
    results.append(
        measure(
            "API GET a claim",
            lambda: client.get(claim_url),
            runs=runs,
            warmup=warmup,
            target_ms=TARGETS["claim"],
            check=_ok(200),
        )
    )
    claims_url = reverse("api-v1:claim-list")
    listed = {"article": article.pk, "limit": 100}
    results.append(
        measure(
            "API list 100 claims with citations",
            lambda: client.get(claims_url, listed),
            runs=runs,
            warmup=warmup,
            target_ms=TARGETS["list"],
            check=_ok(200),
        )
    )
    container = reverse("api-v1:annotation-container", args=[article.pk])
    results.append(
        measure(
            "API annotation page of 200 (Web Annotation Protocol)",
            lambda: client.get(container, {"page": 0}),
            runs=runs,
            warmup=warmup,
            target_ms=TARGETS["page"],
            check=_ok(200),
        )
    )
    spans = iter(data.spans(random.Random(7), article.body, 400))

    def create():
        start, end = next(spans)
        body = {
            "article": article.pk,
            "start": start,
            "end": end,
            "quote": article.body[start:end],
            "statement": "A checkable restatement.",
            "category": Claim.Category.STATISTIC,
        }
        return client.post(claims_url, json.dumps(body), "application/json")

    results.append(
        measure(
            "API create a claim",
            create,
            runs=runs,
            warmup=warmup,
            target_ms=TARGETS["create"],
            check=_ok(201),
        )
    )
    results.append(_constant_queries(client, claims_url, container, article, runs=2))
    return results


def _constant_queries(client, claims_url, container, article, *, runs: int) -> Result:
    """The same number of queries for a page of 10 as of 100 claims (and of 200 annotations)."""
    counts = {}
    for label, call in {
        "claims 10": lambda: client.get(claims_url, {"article": article.pk, "limit": 10}),
        "claims 100": lambda: client.get(claims_url, {"article": article.pk, "limit": 100}),
        "annotations 200": lambda: client.get(container, {"page": 0}),
    }.items():
        counts[label] = measure(label, call, runs=runs, warmup=1).queries
    note = ", ".join(f"{label}: {n} queries" for label, n in counts.items())
    same = counts["claims 10"] == counts["claims 100"]
    return Result("API query counts constant in page size", note=note, passed=same)
