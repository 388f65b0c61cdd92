"""Load the demo: three short invented articles, a user per role, sources, claims, citations."""

import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from annotations.importers import import_paths
from annotations.models import Article, Citation, Claim, Comment, Role, Source, User, Verdict

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"

# username, password, role. Demo only: `load_demo` refuses to run with DEBUG off.
DEMO_USERS = [
    ("reviewer", "reviewer-demo-pass", Role.REVIEWER),
    ("reviewer2", "reviewer2-demo-pass", Role.REVIEWER),
    ("editor", "editor-demo-pass", Role.EDITOR),
    ("admin", "admin-demo-pass", Role.ADMIN),
]

DEMO_SOURCES = [
    {
        "title": "Harbour ferry annual patronage report 2024",
        "url": "https://transport.eastport.example/reports/ferry-patronage-2024.pdf",
        "publisher": "Eastport City Council",
        "kind": Source.Kind.OFFICIAL_STATISTICS,
        "published_on": datetime.date(2025, 2, 3),
        "reliability": Source.Reliability.PRIMARY_OFFICIAL,
        "reliability_rationale": "The operator's own gate counts, published annually.",
    },
    {
        "title": "Review of ferry passenger counting",
        "url": "https://watchdog.example/reviews/eastport-ferry-counting?utm_source=newsletter",
        "publisher": "Regional Transport Watchdog",
        "kind": Source.Kind.GOVERNMENT_REPORT,
        "published_on": datetime.date(2025, 3, 18),
        "reliability": Source.Reliability.PRIMARY_OFFICIAL,
        "reliability_rationale": "Statutory auditor with access to ticketing data.",
    },
    {
        "title": "Library services statistics 2024",
        "url": "https://eastport.example/libraries/statistics-2024",
        "publisher": "Eastport City Council",
        "kind": Source.Kind.OFFICIAL_STATISTICS,
        "published_on": datetime.date(2025, 1, 20),
    },
]

# article file, quote, statement, claimant, category, claim date
DEMO_CLAIMS = [
    (
        "01_harbour_ferry.txt",
        "from 410,000 journeys in 2023 to 820,000 in 2024",
        "Harbour ferry journeys rose from 410,000 in 2023 to 820,000 in 2024.",
        "Eastport City Council",
        Claim.Category.STATISTIC,
    ),
    (
        "01_harbour_ferry.txt",
        "the service now covers 85% of its running costs from fares",
        "Fares cover 85% of the ferry's running costs.",
        "Maya Okafor",
        Claim.Category.STATISTIC,
    ),
    (
        "01_harbour_ferry.txt",
        "would need no subsidy by 2027",
        "The ferry will need no subsidy by 2027.",
        "Maya Okafor",
        Claim.Category.PREDICTION,
    ),
    (
        "02_ferry_figures_questioned.txt",
        "carried 615,000 passengers in 2024, a rise of 50%",
        "The ferry carried 615,000 passengers in 2024, 50% more than in 2023.",
        "Regional Transport Watchdog",
        Claim.Category.STATISTIC,
    ),
    (
        "03_library_hours.md",
        "lent 1.2 million books last year, the most since records began in 1998",
        "Eastport libraries lent 1.2 million books in 2024, a record since 1998.",
        "Eastport City Council",
        Claim.Category.STATISTIC,
    ),
    (
        "01_harbour_ferry.txt",
        "Harbour ferry ridership doubles in a year",
        "Harbour ferry ridership doubled between 2023 and 2024.",
        "Eastport City Council",
        Claim.Category.STATISTIC,
        Article.Part.HEADLINE,  # the headline is claimable like the body
    ),
]


class Command(BaseCommand):
    help = "Load demo users, articles, sources and claims (idempotent). Development only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stderr.write("load_demo creates users with published passwords; DEBUG is off.")
            raise SystemExit(1)
        with transaction.atomic():
            users = self._users()
            report = import_paths([DEMO_DIR], user=users["admin"])
            for outcome in report.outcomes:
                if outcome.failed:
                    self.stderr.write(outcome.line())
            self._claims(users)
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in with:"))
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {role.label:9} {username:10} {password}")

    def _users(self) -> dict[str, User]:
        users = {}
        for username, password, role in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_staff = role == Role.ADMIN
                user.save()
            user.groups.add(Group.objects.get(name=role.value))
            users[username] = user
        return users

    def _claims(self, users: dict[str, User]) -> None:
        if Claim.objects.exists():
            return
        sources = []
        for fields in DEMO_SOURCES:
            source = Source(created_by=users["editor"], **fields)
            source.full_clean()
            source.save()
            sources.append(source)
        official, watchdog, libraries = sources
        claims = []
        for file_name, quote, statement, claimant, category, *part in DEMO_CLAIMS:
            part = part[0] if part else Article.Part.BODY
            article = Article.objects.get(source_name=f"{DEMO_DIR.name}/{file_name}")
            start = article.text_of(part).index(quote)
            claim = Claim(
                statement=statement,
                claimant=claimant,
                category=category,
                claim_date=article.published_on,
                created_by=users["reviewer"],
                assignee=users["reviewer"],
            )
            claim.anchor_to(article, start, start + len(quote), part)
            claim.full_clean()
            claim.save()
            claims.append(claim)

        doubling, cost_share, _subsidy, watchdog_count, loans, _headline = claims
        Citation.objects.create(
            claim=doubling,
            source=official,
            relation=Citation.Relation.SUPPORTS,
            quote="Total recorded journeys: 820,112 (2023: 409,876).",
            locator="Table 2, p. 4",
            created_by=users["reviewer"],
        )
        Citation.objects.create(
            claim=doubling,
            source=watchdog,
            relation=Citation.Relation.CONTRADICTS,
            quote="Return tickets were recorded twice; corrected journeys: 615,300.",
            locator="Section 3.1",
            note="The council's own report uses the uncorrected gate count.",
            created_by=users["reviewer"],
        )
        Citation.objects.create(
            claim=watchdog_count,
            source=watchdog,
            relation=Citation.Relation.SUPPORTS,
            quote="Corrected journeys 2024: 615,300; 2023: 409,876.",
            locator="Section 3.1",
            created_by=users["reviewer"],
        )
        Citation.objects.create(
            claim=loans,
            source=libraries,
            relation=Citation.Relation.SUPPORTS,
            quote="Loans: 1,204,551, the highest annual total since 1998.",
            locator="Summary table",
            created_by=users["reviewer"],
        )

        misleading = Verdict.objects.get(label="Misleading")
        accurate = Verdict.objects.get(label="Accurate")
        doubling.verdict = misleading
        doubling.verdict_explanation = (
            "The council counted return tickets twice. Corrected figures show a 50% rise,\n"
            "not a doubling."
        )
        doubling.verdict_proposed_by = users["reviewer"]
        doubling.state = Claim.State.APPROVED
        doubling.approved_by = users["editor"]
        doubling.approved_at = timezone.now()
        doubling.save()

        watchdog_count.verdict = accurate
        watchdog_count.verdict_explanation = "Matches the watchdog's corrected count."
        watchdog_count.verdict_proposed_by = users["reviewer"]
        watchdog_count.state = Claim.State.NEEDS_REVIEW
        watchdog_count.save()

        cost_share.state = Claim.State.IN_PROGRESS
        cost_share.save()
        Comment.objects.create(
            claim=cost_share,
            author=users["reviewer"],
            body="The watchdog says 70%. Asking the council for its cost breakdown.",
        )
        Comment.objects.create(
            claim=cost_share,
            author=users["editor"],
            body="Good. Check whether the 85% includes the capital grant.",
        )
