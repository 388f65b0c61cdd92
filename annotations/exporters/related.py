"""Where else a claim appeared, for the reports: the other members of its family.

``RelatedData`` is the shared loader (``ExportData``) whose claims also carry ``related``:
``None`` for a claim in no family, otherwise the family's canonical statement, its conflict
and resolution, the other members (article title, publisher, date, address, the claim's place
in a report of this scope, claimant, verdict) and, with ``with_figures``, the comparison rows:
every member's figures in use, this claim's first, each marked when it is one of the figures
that disagree. One query per chunk of articles for the members, one more for their figures,
whatever the number of claims or families.

The other members are listed whatever their state: that a claim appeared in an article is a
fact about the article. What the desk made of it is not: in the published scope another
member's verdict shows only once it is approved, and its report link only then (an
unapproved claim has no place in a published report).
"""

from collections import defaultdict
from dataclasses import dataclass

from annotations.exporters.scope import ExportData, Scope
from annotations.models import Claim, ClaimFamily, ClaimFigure, FamilyMembership
from annotations.urlnorm import is_http_url

MEMBER_COLUMNS = (
    "family_id",
    "family__statement",
    "family__conflict",
    "family__conflict_figures",
    "family__resolution",
    "family__resolution_note",
    "claim_id",
    "claim__article_id",
    "claim__article__title",
    "claim__article__url",
    "claim__article__published_on",
    "claim__article__publisher__name",
    "claim__claimant",
    "claim__claim_date",
    "claim__state",
    "claim__verdict_id",
)
RESOLUTION_LABELS = dict(ClaimFamily.Resolution.choices)


@dataclass
class ComparisonRow:
    """One line of a claim's "how the figures compare" table."""

    member: dict
    figure: ClaimFigure | None  # None: the member states no figure in use
    this: bool  # the claim the table is under
    disagrees: bool  # one of the family's disagreeing figures


@dataclass
class RelatedData(ExportData):
    with_figures: bool = True

    def _load_claims(self, article_ids: list[int]) -> dict[int, list[dict]]:
        grouped = super()._load_claims(article_ids)
        claims = {claim["id"]: claim for found in grouped.values() for claim in found}
        for claim in claims.values():
            claim["related"] = None
        if claims:
            self._attach_related(article_ids, claims)
        return grouped

    def _attach_related(self, article_ids: list[int], claims: dict[int, dict]) -> None:
        here = FamilyMembership.objects.filter(claim__article_id__in=article_ids)
        if self.scope is Scope.PUBLISHED:
            here = here.filter(claim__state=Claim.State.APPROVED)
        rows = (
            FamilyMembership.objects.filter(family_id__in=here.values("family_id"))
            .order_by("family_id", "claim__claim_date", "claim__article__published_on", "claim")
            .values_list(*MEMBER_COLUMNS)
        )
        families: dict[int, dict] = {}
        for row in rows:
            (family_id, statement, conflict, conflicting, resolution, note, *member) = row
            family = families.get(family_id)
            if family is None:
                family = families[family_id] = {
                    "statement": statement,
                    "conflict": conflict,
                    "open_conflict": conflict and not resolution,
                    "conflicting": set(conflicting or ()),
                    "resolution_label": RESOLUTION_LABELS.get(resolution, "") if resolution else "",
                    "resolution_note": note if self.scope is Scope.INTERNAL else "",
                    "members": [],
                }
            family["members"].append(self._member(*member))
        if not families:
            return
        figures: dict[int, list[ClaimFigure]] = defaultdict(list)
        if self.with_figures:
            ids = [m["claim_id"] for family in families.values() for m in family["members"]]
            for figure in ClaimFigure.objects.in_use().filter(claim_id__in=ids):
                figures[figure.claim_id].append(figure)
        for family in families.values():
            # The table only where a member states a figure.
            compared = any(figures.get(m["claim_id"]) for m in family["members"])
            for member in family["members"]:
                if (claim := claims.get(member["claim_id"])) is None:
                    continue
                others = [m for m in family["members"] if m is not member]
                rows = []
                for each in (member, *others) if compared else ():
                    found = figures.get(each["claim_id"]) or [None]
                    rows += [
                        ComparisonRow(
                            member=each,
                            figure=figure,
                            this=each is member,
                            disagrees=figure is not None and figure.pk in family["conflicting"],
                        )
                        for figure in found
                    ]
                claim["related"] = {**family, "others": others, "rows": rows}

    def _member(
        self,
        claim_id,
        article_id,
        title,
        url,
        published_on,
        publisher,
        claimant,
        claim_date,
        state,
        verdict_id,
    ) -> dict:
        shown = self.scope is Scope.INTERNAL or state == Claim.State.APPROVED
        return {
            "claim_id": claim_id,
            "article_id": article_id,
            "title": title,
            "url": url,
            "href": url if is_http_url(url) else "",
            "published_on": published_on,
            "publisher": publisher or "",
            "claimant": claimant,
            "claim_date": claim_date,
            "is_draft": state != Claim.State.APPROVED,
            "verdict": self.verdicts.get(verdict_id) if shown else None,
            "report_url": f"{self.report_urls[article_id]}#claim-{claim_id}" if shown else "",
        }
