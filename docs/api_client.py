#!/usr/bin/env python3
"""A factcheck API client in the standard library only: import an article, mark claims in it,
cite a source for the first and propose a verdict on it.

    python3 docs/api_client.py --url https://factcheck.example.org --token fct_… \\
        article.md "first quoted passage" "second" "third" \\
        --source-url https://stats.example.org/bulletin --source-title "Bulletin 12" \\
        --verdict Accurate --explanation "The bulletin gives the same figure."

The token comes from your account page (it acts with your role: importing articles needs the
Admin role). ``FACTCHECK_API_URL`` and ``FACTCHECK_API_TOKEN`` may be set instead of the
options. Every change sends ``If-Match`` with the ETag the claim was read with, so a change
someone made meanwhile is reported (412), never overwritten. Errors are RFC 9457 problem
details, printed as they come.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

API = "/api/v1"


class ApiError(Exception):
    def __init__(self, status: int, problem: dict):
        self.status = status
        self.problem = problem
        detail = problem.get("detail") or problem.get("title") or "error"
        super().__init__(f"{status} {problem.get('title', '')}: {detail}")


class Client:
    def __init__(self, base_url: str, token: str):
        self.base_url = base_url.rstrip("/")
        self.token = token

    def request(self, method: str, path: str, body=None, *, if_match: str = ""):
        """(status, headers, decoded JSON body or None)."""
        url = path if path.startswith("http") else self.base_url + path
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if if_match:
            request.add_header("If-Match", if_match)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, response.headers, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            problem = json.loads(raw) if raw else {"title": error.reason}
            raise ApiError(error.code, problem) from None

    # What the script does, one API call each.

    def import_article(self, path: Path) -> dict:
        body = {"filename": path.name, "text": path.read_text(encoding="utf-8")}
        _status, _headers, result = self.request("POST", f"{API}/articles/", body)
        return result["article"]

    def create_claim(self, article: dict, quote: str, statement: str = "") -> tuple[dict, str]:
        start = article["body"].find(quote)
        if start < 0:
            raise SystemExit(f"“{quote}” is not in the article's text")
        body = {
            "article": article["id"],
            "start": start,
            "end": start + len(quote),
            "quote": quote,
            "statement": statement,
        }
        _status, headers, claim = self.request("POST", f"{API}/claims/", body)
        return claim, headers["ETag"]

    def cite(self, claim: dict, etag: str, url: str, title: str) -> tuple[dict, str]:
        """Cite the page: a new source, or the library's own when it has the address."""
        body = {"new_url": url, "new_title": title, "relation": "supports"}
        path = f"{API}/claims/{claim['id']}/citations/"
        try:
            _status, headers, claim = self.request("POST", path, body, if_match=etag)
        except ApiError as error:
            if error.status != 409 or "existing_source" not in error.problem:
                raise
            existing = {"source": error.problem["existing_source"]["id"], "relation": "supports"}
            _status, headers, claim = self.request("POST", path, existing, if_match=etag)
        return claim, headers["ETag"]

    def propose(self, claim: dict, etag: str, label: str, explanation: str) -> dict:
        _status, _headers, verdicts = self.request("GET", f"{API}/verdicts/")
        chosen = [v for v in verdicts if v["label"] == label and v["is_active"]]
        if not chosen:
            names = ", ".join(v["label"] for v in verdicts if v["is_active"])
            raise SystemExit(f"No verdict “{label}” is in use; choose one of: {names}")
        body = {"verdict": chosen[0]["id"], "explanation": explanation}
        path = f"{API}/claims/{claim['id']}/verdict/"
        _status, _headers, claim = self.request("POST", path, body, if_match=etag)
        return claim


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("article", type=Path, help="an article file (.txt, .md or .html)")
    parser.add_argument("quotes", nargs="+", help="passages of the article to mark as claims")
    parser.add_argument("--url", default=os.environ.get("FACTCHECK_API_URL", ""))
    parser.add_argument("--token", default=os.environ.get("FACTCHECK_API_TOKEN", ""))
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--source-title", required=True)
    parser.add_argument("--verdict", required=True, help="a verdict's label, e.g. Accurate")
    parser.add_argument("--explanation", default="")
    args = parser.parse_args(argv)
    if not args.url or not args.token:
        parser.error("give --url and --token (or FACTCHECK_API_URL and FACTCHECK_API_TOKEN)")

    client = Client(args.url, args.token)
    try:
        article = client.import_article(args.article)
        print(f"article {article['id']}: {article['title']}")
        claims = [client.create_claim(article, quote) for quote in args.quotes]
        for claim, _etag in claims:
            print(f"claim {claim['id']}: “{claim['quote']}”")
        first, etag = claims[0]
        first, etag = client.cite(first, etag, args.source_url, args.source_title)
        print(f"claim {first['id']} cites {first['citations'][-1]['source']['url']}")
        first = client.propose(first, etag, args.verdict, args.explanation)
        print(f"claim {first['id']}: {first['verdict']['label']} proposed, {first['state']}")
    except ApiError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
