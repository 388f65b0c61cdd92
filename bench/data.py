"""Seeded synthetic data for benchmarks and load tests: invented, neutral prose and claims.

Everything is derived from a ``random.Random(seed)``, so the same seed gives the same database.
Rows are written with ``bulk_create`` (no history rows) because the benchmarks measure reading,
exporting and importing, not the cost of building the fixture.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from annotations import anchoring
from annotations.models import Article, Citation, Claim, Publisher, Role, Source, User, Verdict

SUBJECTS = [
    "The county library",
    "The river authority",
    "A regional orchestra",
    "The allotment society",
    "The ferry operator",
    "The botanical garden",
    "A community choir",
    "The museum of clocks",
    "The coastal path trust",
    "The cycling club",
    "The village bakery",
    "The weather station",
]
VERBS = [
    "reported",
    "counted",
    "recorded",
    "measured",
    "estimated",
    "published",
    "announced",
    "confirmed",
]
OBJECTS = [
    "{n} visitors over the summer",
    "{n} new members since spring",
    "{p}% more loans than the year before",
    "{n} kilometres of repaired footpath",
    "{n} seedlings planted along the bank",
    "a rise of {p}% in evening attendance",
    "{n} concerts in village halls",
    "{n} crossings in a single week",
    "rainfall {p}% above the long-term average",
    "{n} volunteers on the open day",
]
TAILS = [
    "according to its annual review",
    "in figures shared with the parish council",
    "after a survey of local households",
    "although the count was made by hand",
    "which officials described as encouraging",
    "in a bulletin published on Tuesday",
    "citing its own ticket records",
    "while noting that the weather played a part",
]
CONNECTORS = ["Meanwhile,", "Separately,", "Earlier this year,", "By contrast,", "In addition,"]
PUBLISHERS = ["Valley Courier", "Harbour Post", "Upland Weekly", "Riverside Gazette"]
PASSWORD = "bench-password-1234"  # noqa: S105 — throwaway accounts in a throwaway database


def sentence(rng: random.Random) -> str:
    obj = rng.choice(OBJECTS).format(n=f"{rng.randint(12, 98_000):,}", p=rng.randint(2, 60))
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {obj}, {rng.choice(TAILS)}."
    if rng.random() < 0.2:
        text = f"{rng.choice(CONNECTORS)} {text[0].lower()}{text[1:]}"
    return text


def prose(rng: random.Random, size: int = 25_000) -> str:
    """Paragraphs of invented sentences, about ``size`` characters, separated by blank lines."""
    paragraphs, total = [], 0
    while total < size:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    return "\n\n".join(paragraphs)


def word_starts(body: str) -> list[int]:
    return [
        i for i in range(len(body)) if not body[i].isspace() and (i == 0 or body[i - 1].isspace())
    ]


def spans(rng: random.Random, body: str, count: int) -> list[tuple[int, int]]:
    """``count`` distinct claim spans: mostly sentence-sized, overlapping and nested at random,
    a few crossing a paragraph break."""
    starts = word_starts(body)
    found: set[tuple[int, int]] = set()
    while len(found) < count:
        start = rng.choice(starts)
        length = rng.choice([rng.randint(15, 60), rng.randint(60, 220), rng.randint(200, 500)])
        end = min(len(body), start + length)
        start, end = anchoring.trim_span(body, start, end)
        if end > start:
            found.add((start, end))
    return sorted(found)


def ensure_users(count: int = 1, prefix: str = "bench", role: Role = Role.REVIEWER) -> list[User]:
    """Users ``<prefix>1..N`` in ``role`` with the password ``PASSWORD`` (hashed once and shared:
    these are throwaway accounts, and hashing fifty times would take most of a minute)."""
    group = Group.objects.get(name=role.value)
    hashed = make_password(PASSWORD)
    users = []
    for number in range(1, count + 1):
        user, created = User.objects.get_or_create(
            username=f"{prefix}{number}",
            defaults={"email": f"{prefix}{number}@example.org", "password": hashed},
        )
        if created:
            user.groups.add(group)
        users.append(user)
    return users


def make_sources(rng: random.Random, count: int, tag: str = "s") -> list[Source]:
    kinds = [choice for choice, _ in Source.Kind.choices]
    sources = [
        Source(
            title=f"{rng.choice(SUBJECTS)} bulletin {tag}{n}",
            url=f"https://records.example/{tag}/{n}",
            publisher=rng.choice(PUBLISHERS),
            kind=rng.choice(kinds),
        )
        for n in range(count)
    ]
    return Source.objects.bulk_create(sources)


@dataclass
class BuiltArticle:
    article: Article
    claims: list[Claim] = field(default_factory=list)
    citations: int = 0


def publishers() -> list[Publisher]:
    """The publisher records of ``PUBLISHERS`` (made once)."""
    return [Publisher.objects.named(name) for name in PUBLISHERS]


def make_article(
    rng: random.Random,
    *,
    claims: int,
    size: int = 25_000,
    sources: list[Source] | None = None,
    citations: int = 0,
    author: User | None = None,
    tag: str = "",
) -> BuiltArticle:
    """One ~``size``-character article with ``claims`` overlapping claims and ``citations``
    citations spread over them (drawn from ``sources``). States and verdicts vary; about half
    the claims are approved with a verdict, so published exports have content."""
    body = prose(rng, size)
    title = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} new figures {tag}".strip()
    article = Article.objects.create(
        title=title,
        publisher=rng.choice(publishers()),
        url=f"https://news.example/{tag or rng.randint(1, 10**9)}",
        published_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randint(0, 600)),
        body=body,
        raw_text=f"{title}\n\n{body}",
        source_name=f"bench-{tag}.txt",
    )
    verdicts = list(Verdict.objects.all())
    states = [choice for choice, _ in Claim.State.choices]
    categories = [choice for choice, _ in Claim.Category.choices]
    now = timezone.now()
    rows = []
    for start, end in spans(rng, body, claims):
        state = Claim.State.APPROVED if rng.random() < 0.5 else rng.choice(states)
        verdict = (
            rng.choice(verdicts) if state == Claim.State.APPROVED or rng.random() < 0.3 else None
        )
        claim = Claim(
            article=article,
            claimant=rng.choice(SUBJECTS),
            category=rng.choice(categories),
            state=state,
            verdict=verdict,
            verdict_explanation="Compared with the published figures." if verdict else "",
            verdict_proposed_by=author if verdict else None,
            created_by=author,
            assignee=author if rng.random() < 0.3 else None,
            approved_at=now if state == Claim.State.APPROVED else None,
        )
        claim.set_span(anchoring.selector_for(body, start, end))
        claim.statement = f"Checkable: {claim.quote[:120]}"
        rows.append(claim)
    built = BuiltArticle(article, Claim.objects.bulk_create(rows))
    if citations and sources:
        relations = [choice for choice, _ in Citation.Relation.choices]
        Citation.objects.bulk_create(
            Citation(
                claim=built.claims[n % len(built.claims)],
                source=rng.choice(sources),
                relation=rng.choice(relations),
                quote="The table gives the same total for the year.",
                locator=f"Table {rng.randint(1, 9)}",
                created_by=author,
            )
            for n in range(citations)
        )
        built.citations = citations
    return built


def make_bare_articles(rng: random.Random, count: int, tag: str = "d") -> list[Article]:
    """Short articles without claims (dashboard rows)."""
    articles, known = [], publishers()
    for n in range(count):
        body = prose(rng, 600)
        title = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} figures ({tag}{n})"
        articles.append(
            Article(
                title=title,
                publisher=rng.choice(known),
                url=f"https://news.example/{tag}/{n}",
                published_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 600),
                body=body,
                raw_text=f"{title}\n\n{body}",
                content_hash=Article.hash_text(f"{tag}{n}\n{title}\n\n{body}"),
                source_name=f"bench-{tag}{n}.txt",
            )
        )
    return Article.objects.bulk_create(articles)


def write_article_files(rng: random.Random, folder, count: int) -> list:
    """``count`` plain-text article files (title line, blank line, paragraphs) for import."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        title = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} figures, part {n}"
        path = folder / f"article-{n:04d}.txt"
        path.write_text(f"{title}\n\n{prose(rng, 3_000)}\n", encoding="utf-8")
        paths.append(path)
    return paths
