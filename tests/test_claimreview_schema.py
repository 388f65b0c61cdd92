"""ClaimReview output checked against schema.org's definitions: every type and property exists,
and every value has a type the property accepts.

The vocabulary comes from ``msgspec-schemaorg`` (a dev dependency), which ships schema.org as
generated classes, one module per type: an extract (each type's parents and each property's
expected types) is read from their source at test time, never fetched from the network.
"""

import ast
import datetime
import io
import json
import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import pytest

from annotations.exporters import FORMATS
from annotations.exporters.scope import Scope
from annotations.models import Article, Claim, Role, Verdict
from annotations.urlnorm import is_http_url
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, UserFactory

PRIMITIVES = {"str", "int", "float", "bool", "date", "datetime", "URL"}


@cache
def vocabulary() -> tuple[dict[str, str], dict[str, dict[str, set[str]]]]:
    """``(parents, properties)``: each schema.org type's parent type, and the properties it
    declares with the type names each accepts (schema types, or the primitives)."""
    root = Path(find_spec("msgspec_schemaorg").origin).parent / "models"
    parents, properties = {}, {}
    for path in root.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id != "Struct"]
            parents[node.name] = bases[0] if bases else ""
            declared = properties.setdefault(node.name, {})
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    if item.target.id == "type":  # the class's own "@type"
                        continue
                    text = ast.unparse(item.annotation)
                    names = set(re.findall(r"'(\w+)'", text))
                    names |= set(re.findall(r"\b(str|int|float|bool|date|datetime)\b", text))
                    declared[item.target.id] = names
    return parents, properties


def is_a(kind: str, wanted: set[str]) -> bool:
    parents, _ = vocabulary()
    while kind:
        if kind in wanted:
            return True
        kind = parents.get(kind, "")
    return False


def expected_types(kind: str, name: str) -> set[str] | None:
    parents, properties = vocabulary()
    while kind:
        if name in properties.get(kind, {}):
            return properties[kind][name]
        kind = parents.get(kind, "")
    return None


def _iso(value: str, of_time: bool) -> bool:
    try:
        (datetime.datetime if of_time else datetime.date).fromisoformat(value)
    except ValueError:
        return False
    return True


def value_fits(value, accepted: set[str]) -> bool:
    if isinstance(value, bool):
        return "bool" in accepted
    if isinstance(value, int | float):
        return bool({"int", "float"} & accepted)
    if isinstance(value, str):
        return (
            "str" in accepted
            or ("URL" in accepted and is_http_url(value))
            or ("date" in accepted and _iso(value, of_time=False))
            or ("datetime" in accepted and _iso(value, of_time=True))
        )
    if isinstance(value, dict):
        return is_a(value.get("@type", ""), accepted - PRIMITIVES)
    return False


def problems(node: dict, where: str = "") -> list[str]:
    """What in ``node`` (a JSON-LD object) schema.org does not define or accept."""
    found = []
    kind = node.get("@type", "")
    if kind not in vocabulary()[0]:
        return [f"{where or 'top'}: unknown type {kind!r}"]
    for name, value in node.items():
        if name.startswith("@"):
            continue
        path = f"{where}.{name}" if where else name
        accepted = expected_types(kind, name)
        if accepted is None:
            found.append(f"{path}: {kind} has no property {name!r}")
            continue
        for item in value if isinstance(value, list) else [value]:
            if not value_fits(item, accepted):
                found.append(f"{path}: {item!r} is not one of {sorted(accepted)}")
            elif isinstance(item, dict):
                found += problems(item, path)
    return found


def test_the_vocabulary_extract_knows_claimreview_and_catches_what_is_wrong():
    assert is_a("ClaimReview", {"CreativeWork"})
    assert expected_types("Claim", "firstAppearance") == {"CreativeWork"}
    assert problems({"@type": "ClaimReview", "url": "https://x.example/"}) == []
    wrong = {
        "@type": "ClaimReview",
        "verdict": "True",  # no such property
        "datePublished": "last Tuesday",  # not a date
        "url": "not an address",
        "author": {"@type": "Rating"},  # a Rating cannot write
        "itemReviewed": {"@type": "Clam"},
    }
    assert len(problems(wrong)) == 5


@pytest.mark.django_db
def test_claimreview_export_is_valid_schema_org(settings):
    settings.FACTCHECK_PUBLIC_BASE_URL = "https://checks.example"
    settings.FACTCHECK_ORGANISATION_URL = "https://checks.example/about"
    settings.FACTCHECK_ORGANISATION_LOGO = "https://checks.example/logo.png"
    settings.FACTCHECK_ORGANISATION_SAME_AS = ["https://social.example/@desk"]
    checker = UserFactory(role=Role.REVIEWER)
    editor, editor2 = UserFactory(role=Role.EDITOR), UserFactory(role=Role.EDITOR)
    article = ArticleFactory(published_on=datetime.date(2024, 2, 18))
    claims = []
    for (start, end), kind, verdict in [
        ((0, 20), Claim.ClaimantKind.PERSON, "Accurate"),
        ((100, 130), Claim.ClaimantKind.ORGANIZATION, "Unverifiable"),
    ]:
        claim = ClaimFactory(
            article=article,
            start=start,
            end=end,
            quote=article.body[start:end],
            claimant="Jo Official",
            claimant_kind=kind,
            claimant_same_as="https://en.wikipedia.org/wiki/Jo\nhttps://www.wikidata.org/wiki/Q3",
            claim_date=datetime.date(2024, 2, 15),
        )
        CitationFactory(claim=claim)
        claim.refresh_from_db()
        claim.propose_verdict(
            by=checker,
            version=claim.version,
            verdict=Verdict.objects.get(label=verdict),
            explanation="Checked.",
        )
        claim.approve(by=editor, version=claim.version)
        claims.append(claim)
    article.publish(claims, by=editor2, version=article.version)
    first = Claim.objects.get(pk=claims[0].pk)
    first.propose_verdict(
        by=checker,
        version=first.version,
        verdict=Verdict.objects.get(label="Misleading"),
        explanation="Revised.",
        reason="The bulletin was revised.",
    )
    first.refresh_from_db()
    first.approve_revision(by=editor2, version=first.version)

    out = io.StringIO()
    FORMATS["claimreview"].write(Article.objects.all(), Scope.PUBLISHED, out)
    reviews = json.loads(out.getvalue())
    assert len(reviews) == 2
    assert any("dateModified" in review for review in reviews)  # every field present once
    for review in reviews:
        assert review["@context"] == "https://schema.org"
        assert problems(review) == []
