"""The vocabulary of fact-checking: articles, the claims found in them, the sources that confirm
or refute those claims, and the verdicts reached.

Domain rules live here, on the models and their querysets; views stay thin.
"""

import datetime
import functools
import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connections, models, router, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Length, Lower, NullIf
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history import models as simple_history
from simple_history.manager import HistoryManager
from simple_history.signals import pre_create_historical_record

from annotations import anchoring, families, live, locales
from annotations.deadlocks import retry_on_deadlock
from annotations.figures import Figure, extract_figures, figures_conflict
from annotations.urlnorm import is_http_url, normalize_url


def save_raising_version(instance, save, *args, **kwargs) -> None:
    """Save ``instance`` (through ``save``, its model's own save) with ``version`` raised by
    one, counted from the stored row under a lock, so an instance loaded long ago cannot lower
    it and a form opened before this save is refused as stale. A new row keeps its version."""
    if instance._state.adding:
        save(*args, **kwargs)
        return
    with transaction.atomic(using=kwargs.get("using") or instance._state.db):
        stored = (
            type(instance)
            ._default_manager.select_for_update()
            .filter(pk=instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        instance.version = (instance.version if stored is None else stored) + 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        save(*args, **kwargs)


class OnceMadeHistoryManager(HistoryManager):
    """simple-history's manager of history rows, its class made once per queryset class:
    simple-history makes it again at every ``instance.history``, through which every save
    writes its history row (``inspect.getmembers`` of the queryset class: a third of the time
    a claim's history row took, make bench-scale "claim create POST")."""

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


class HistoricalRecords(simple_history.HistoricalRecords):
    """simple-history's history of a model, with ``OnceMadeHistoryManager``."""

    def __init__(self, *args, history_manager=OnceMadeHistoryManager, **kwargs):
        super().__init__(*args, history_manager=history_manager, **kwargs)


# The SQL of querysets that are the same at every call, compiled once per process and database
# (``constant_rows``): name and database → (SQL, parameters, the places of the ids in them).
_constant_sql: dict[tuple[str, str], tuple[str, tuple, list[int]]] = {}
# Stand-ins for the ids a ``constant_rows`` query is compiled with: no row has a negative id.
_ID_STAND_IN = -(2**62)


def compiled_once(name: str, model: type[models.Model], queryset, *ids: int) -> tuple:
    """(database, SQL, parameters) of ``queryset(*ids)``, a queryset of ``model`` whose SQL is
    the same at every call; ``name`` names it. ``ids``: the ids its filters compare columns
    with, if any (a person's id, say). The queryset is made and its SQL compiled once per
    process and database, with stand-ins for the ids; each call gets its own ids in their
    places. Compiling is most of the CPU a short query costs: the claim panel's two option
    lists (who can be assigned, the verdicts) were about 1.5 ms of CPU of every claim-create
    POST with their model instances, making the querysets alone (``able_to_review``) another
    0.15 ms, and reading the signed-in person and their roles 0.7 ms of every request (make
    bench-scale, "claim create POST")."""
    db = router.db_for_read(model)
    key = (name, db)
    if key not in _constant_sql:
        stand_ins = [_ID_STAND_IN - i for i in range(len(ids))]
        sql, params = queryset(*stand_ins).using(db).query.sql_with_params()
        places = [i for stand_in in stand_ins for i, p in enumerate(params) if p == stand_in]
        if len(places) != len(ids):
            raise ValueError(f"{name}: each id must be one parameter of the query, as given")
        _constant_sql[key] = (sql, params, places)
    sql, params, places = _constant_sql[key]
    if places:
        params = list(params)
        for place, value in zip(places, ids, strict=True):
            params[place] = value
    return db, sql, params


def constant_rows(name: str, model: type[models.Model], queryset, *ids: int) -> list[tuple]:
    """The rows of ``queryset(*ids)``, a ``values_list`` of columns read as stored (ids,
    text), its SQL compiled once (``compiled_once``)."""
    db, sql, params = compiled_once(name, model, queryset, *ids)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class Role(models.TextChoices):
    """Roles are Django groups (created by a migration); each includes the ones before it."""

    REVIEWER = "Reviewer"
    EDITOR = "Editor"
    ADMIN = "Admin"


class UserQuerySet(models.QuerySet):
    def able_to_review(self):
        """Active people holding a role (a superuser holds them all): who can be assigned a
        claim. Only what their names need is loaded: the list is built for every panel."""
        return (
            self.filter(Q(is_superuser=True) | Q(groups__name__in=Role.values), is_active=True)
            .only("username", "first_name", "last_name")
            .distinct()
        )

    def able_to_approve(self):
        """Active editors and admins: who is asked to review a proposed verdict."""
        return self.filter(
            Q(is_superuser=True) | Q(groups__name__in=[Role.EDITOR, Role.ADMIN]), is_active=True
        ).distinct()


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    #: ``signed_in``'s columns saying whether the person holds each role's group.
    ROLE_COLUMNS = {role: f"holds_{role.name.lower()}_group" for role in Role}

    def signed_in(self, pk: int) -> "User | None":
        """The active person ``pk`` with their role groups, read in one query whose SQL is
        compiled once (``compiled_once``), or None: the person of each request
        (``roles.SignedInUserBackend``). Their roles then need no query (``_group_names``)."""
        db, sql, params = compiled_once(
            "signed-in",
            self.model,
            lambda pk: self.filter(pk=pk, is_active=True).annotate(
                **{
                    column: Exists(Group.objects.filter(user=OuterRef("pk"), name=role))
                    for role, column in self.ROLE_COLUMNS.items()
                }
            ),
            pk,
        )
        user = next(iter(self.raw(sql, params, using=db)), None)
        if user is not None:
            user._group_name_cache = {
                role.value for role, column in self.ROLE_COLUMNS.items() if getattr(user, column)
            }
        return user

    def assignable_options(self) -> list[tuple[int, str]]:
        """(id, name) of the people ``able_to_review``, in its order, named as ``str(user)``
        names them: the claim panel's assignee options (``constant_rows``)."""
        rows = constant_rows(
            "able-to-review",
            self.model,
            lambda: self.able_to_review().values_list("pk", "username", "first_name", "last_name"),
        )
        return [
            (pk, f"{first_name} {last_name}".strip() or username)
            for pk, username, first_name, last_name in rows
        ]


class User(AbstractUser):
    """A person using factcheck. Roles come from group membership (see ``Role``)."""

    objects = UserManager()

    class Meta:
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

    def _group_names(self) -> set[str]:
        # Cached per instance: role checks run many times while rendering one page. (The
        # person of a request comes with their role groups: UserManager.signed_in.)
        if not hasattr(self, "_group_name_cache"):
            self._group_name_cache = {
                name
                for (name,) in constant_rows(
                    "group-names",
                    Group,
                    lambda pk: Group.objects.filter(user=pk).values_list("name"),
                    self.pk,
                )
            }
        return self._group_name_cache

    @property
    def is_admin(self) -> bool:
        return self.is_active and (self.is_superuser or Role.ADMIN in self._group_names())

    @property
    def is_editor(self) -> bool:
        return self.is_admin or (self.is_active and Role.EDITOR in self._group_names())

    @property
    def is_reviewer(self) -> bool:
        return self.is_editor or (self.is_active and Role.REVIEWER in self._group_names())

    @property
    def role(self) -> str:
        """The highest role the user holds, or "" for none."""
        if self.is_admin:
            return Role.ADMIN
        if self.is_editor:
            return Role.EDITOR
        if self.is_reviewer:
            return Role.REVIEWER
        return ""

    # How people are named where the public reads (the public fact-check page): never by their
    # username, which is an account name, not a byline.
    PUBLIC_ROLES = {Role.ADMIN: "editor", Role.EDITOR: "editor", Role.REVIEWER: "fact-checker"}

    @property
    def public_role(self) -> str:
        """The role as readers understand it ("fact-checker", "editor"); admins sign as
        editors. "" for someone without a role."""
        return self.PUBLIC_ROLES.get(self.role, "")

    @property
    def display_name(self) -> str:
        """The name shown publicly: the full name, or failing that "a fact-checker of the
        desk" / "an editor of the desk" (an account without a role: "a member of the desk")."""
        if full := " ".join(self.get_full_name().split()):
            return full
        role = self.public_role or "member"
        return f"{'an' if role[0] in 'aeiou' else 'a'} {role} of the desk"

    @property
    def byline(self) -> str:
        """How a byline names the person: "Rita Mendes, fact-checker"; someone without a name
        is "a fact-checker of the desk", which says the role already (never "…, fact-checker"
        again)."""
        role = self.public_role
        if role and self.get_full_name().strip():
            return f"{self.display_name}, {role}"
        return self.display_name


# --- Publishers -------------------------------------------------------------------------------


class PublisherQuerySet(models.QuerySet):
    def search(self, text: str):
        text = " ".join((text or "").split())
        return self.filter(name__icontains=text) if text else self

    def with_articles(self):
        """Publishers with at least one article: one index probe each (``EXISTS``), not a
        join through every article (make bench-scale: 100,000 articles)."""
        return self.filter(Exists(Article.objects.filter(publisher=OuterRef("pk"))))

    def names_with_articles(self) -> list[str]:
        """The names of the publishers ``with_articles``, A–Z: the dashboard's publisher
        filter's options, read as plain rows by SQL compiled once (``constant_rows``)."""
        rows = constant_rows(
            "publisher-names-with-articles",
            Publisher,
            lambda: (
                Publisher.objects.with_articles().order_by("name").values_list("name").distinct()
            ),
        )
        return [name for (name,) in rows]

    def named(self, name: str) -> "Publisher | None":
        """The publisher called ``name`` (case and spacing ignored), created if new; None for a
        blank name. The one way importers and forms turn a name into a record."""
        name = " ".join((name or "").split())[: Publisher._meta.get_field("name").max_length]
        if not name:
            return None
        found = self.filter(name__iexact=name).first()
        if found is None:
            found = self.create(name=name)
        return found


class Publisher(models.Model):
    """Who published an article (a newspaper, a broadcaster, a site): one record per name, so
    the dashboard filters by it and a correction of its details reaches every article."""

    name = models.CharField(max_length=300, help_text="Unique, case and spacing ignored.")
    url = models.URLField(
        "URL",
        max_length=2000,
        blank=True,
        help_text="Home page; stored normalised like sources' URLs.",
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        choices=locales.countries,
        help_text="Where it is based (ISO 3166-1 code).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = PublisherQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="publisher_name_unique_ci"),
            models.CheckConstraint(condition=~Q(name=""), name="publisher_name_not_blank"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = " ".join(self.name.split())
        if self.url:
            self.url = normalize_url(self.url)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.name = " ".join((self.name or "").split())
        if not self.name:
            raise ValidationError({"name": "Give the publisher a name."})
        if self.url:
            try:
                self.url = normalize_url(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error}) from None
        if Publisher.objects.filter(name__iexact=self.name).exclude(pk=self.pk).exists():
            raise ValidationError(
                {"name": f"There is already a publisher called “{self.name}”: choose it instead."}
            )


# --- Articles ---------------------------------------------------------------------------------


class ArticleQuerySet(models.QuerySet):
    #: The claims an export of these articles holds (``of_claims``); None: all of theirs.
    claim_selection = None

    def _clone(self):
        clone = super()._clone()
        clone.claim_selection = self.claim_selection
        return clone

    def of_claims(self, claims):
        """The articles of ``claims``, carrying them along (through every further filter or
        ordering): an export of these articles (``exporters.scope.ExportData``) holds only
        those claims of each."""
        articles = self.filter(pk__in=claims.order_by().values("article_id"))
        articles.claim_selection = claims
        return articles

    def search(self, text: str):
        """The articles whose title, standfirst, byline, publisher or text has the words of
        ``text`` (read as the search page reads it: ``annotations.search.narrow``, from its
        index instead of reading every text)."""
        from annotations import search

        text = (text or "").strip()
        if not text:
            return self
        return search.narrow(self, text, kind="article")

    def by_id(self, pk: int) -> "Article | None":
        """The article ``pk`` (all its columns, nothing related), or None, read by SQL compiled
        once per process (``compiled_once``); called on ``Article.objects``, whatever the
        queryset's own filters. For a response showing no publisher: the reader's claim panel
        after each claim created, where the ORM's ``get`` with the publisher took 0.68 ms of
        CPU and this 0.32 (README, "Claim create, a fourth time")."""
        db, sql, params = compiled_once(
            "article-by-id", Article, lambda pk: Article.objects.filter(pk=pk), pk
        )
        return next(iter(Article.objects.raw(sql, params, using=db)), None)

    def with_tally(self):
        """Only the articles with their tally (``ArticleTally``): all of them, as a trigger
        makes it with the article, but asking for it makes the join an inner one, so
        PostgreSQL can read a page of a sort on the tally's copies from its indexes ((progress,
        title), (publisher's name, title)): order by ``tally__title`` then, not ``title``."""
        return self.filter(tally__isnull=False)

    def with_progress(self):
        """Annotate ``progress``: the share of the article's claims that are approved (None
        without claims), for sorting by it, from the article's tally (``with_tally``)."""
        return self.with_tally().annotate(progress=F("tally__progress"))

    def with_review_state(self):
        """Annotate ``review_state`` (see ``Article.review_state``): the stored publication,
        or what the claims say, from EXISTS lookups on the claims' (article, state) index.
        For pages and chunks of articles; ``in_state`` filters many articles faster."""
        claims = Claim.objects.filter(article=OuterRef("pk"))
        state = Article.State
        return self.annotate(
            review_state=models.Case(
                models.When(publication__in=Article.LIVE, then=F("publication")),
                models.When(~Exists(claims), then=models.Value(state.TO_DO)),
                models.When(
                    Exists(claims.filter(state__in=Claim.WORK_STATES)),
                    then=models.Value(state.IN_PROGRESS),
                ),
                models.When(
                    Exists(claims.filter(state=Claim.State.NEEDS_REVIEW)),
                    then=models.Value(state.IN_REVIEW),
                ),
                default=models.Value(state.READY),
                output_field=models.CharField(),
            )
        )

    def published(self):
        """Articles with a public page that shows their fact-check (not withdrawn)."""
        return self.filter(publication__in=Article.LIVE)

    # Filters on the articles' claims read the tallies the triggers keep (``ArticleTally``:
    # 100,000 rows a desk of 2,000,000 claims) rather than the claims. An uncorrelated
    # ``pk IN (SELECT article_id …)`` runs the inner query once.
    def _tallied(self, tallies):
        return self.filter(pk__in=tallies.values("article_id"))

    def of_tallies(self, tallies):
        """The articles of ``tallies`` (an ``ArticleTally`` queryset; all when it filters
        nothing): the dashboard's page of ``ArticleTally.objects.matching``."""
        return self._tallied(tallies) if tallies.query.has_filters() else self

    def in_state(self, state: str):
        """Articles whose ``review_state`` is ``state`` (an unknown state matches nothing)."""
        return self._tallied(ArticleTally.objects.counting(review_state=state))

    def with_claims_in_state(self, state: str):
        return self._tallied(ArticleTally.objects.counting(claim_state=state))

    def with_verdict(self, verdict):
        return self._tallied(ArticleTally.objects.counting(verdict=verdict))

    @staticmethod
    def id_condition(field: str, *, q: str = "", publisher=None, assignee=None) -> Q:
        """The filters of ``with_words_publisher_and_assignee`` as one condition on ``field``,
        another table's article id: each filter given is a subquery of article ids (``q`` the
        search index's matches, ``publisher`` its articles, ``assignee`` their claims'), so the
        dashboard's tallies are filtered without reading the articles' table again to check
        ids the subqueries give (on the 2,000,000-claim desk that join was 14 ms of the
        assignee filters' counts). An empty condition when none is given."""
        from annotations import search

        condition = Q()
        if q and (q := q.strip()):
            ids = search.matching_ids(q, kind="article")
            condition &= Q(pk__in=[]) if ids is None else Q(**{f"{field}__in": ids})
        if publisher:
            articles = Article.objects.filter(publisher__name=publisher).values("pk")
            condition &= Q(**{f"{field}__in": articles})
        if assignee:  # read from the claims' (assignee, article) index
            claims = Claim.objects.filter(assignee=assignee).values("article_id")
            condition &= Q(**{f"{field}__in": claims})
        return condition

    def with_words_publisher_and_assignee(self, *, q: str = "", publisher=None, assignee=None):
        """The filters of ``matching`` on the article's own fields and its claims' assignees
        (the others are on its tally): the words and the assignee as ``id_condition`` writes
        them for the tallies, the publisher by a join (its index answers it here)."""
        articles = self.filter(self.id_condition("pk", q=q, assignee=assignee))
        if publisher:
            articles = articles.filter(publisher__name=publisher)
        return articles

    def matching(
        self,
        *,
        q: str = "",
        review_state: str | None = None,
        claim_state: str | None = None,
        verdict=None,
        publisher: str | None = None,
        assignee=None,
    ):
        """The articles that pass the dashboard's filters (the exports use the same ones).

        ``q`` searches title and text; ``review_state`` is an ``Article.State`` (worked out from
        the claims, or the publication); ``publisher`` a publisher's name; ``verdict`` is a
        Verdict or its id; ``assignee`` a User or a user id (articles with a claim assigned to
        them). A filter left empty is not applied. Values are used as given: an unknown state
        or publisher matches nothing. ``ArticleTally.objects.matching`` gives their tallies.
        """
        tallies = ArticleTally.objects.counting(
            review_state=review_state, claim_state=claim_state, verdict=verdict
        )
        articles = self._tallied(tallies) if tallies.query.has_filters() else self
        return articles.with_words_publisher_and_assignee(
            q=q, publisher=publisher, assignee=assignee
        )


class StaleArticleError(Exception):
    """Someone else saved the article since the form was loaded; ``current`` holds their
    version."""

    def __init__(self, current: "Article"):
        self.current = current
        super().__init__(
            "Someone else changed this article's details while you were editing them; nothing "
            "was changed. Their version is shown below: check it and save again."
        )


class Article(models.Model):
    """A news article as imported, the claims checked in it, and its publication.

    **Workflow** (``review_state``). Until an editor publishes it, an article's state follows
    its claims, and is worked out from them, never stored: *to do* (no claim yet) → *in
    progress* (a claim is still being worked on: to do, in progress or sent back) → *in review*
    (every claim left has a proposed verdict awaiting review) → *ready* (every claim is
    approved, or dismissed as not checkable). An editor then **publishes** it, choosing which
    approved claims appear on its public page (``PublishedClaim``); a correction approved after
    that (``ClaimRevision``), or claims added to the page, make it **updated**. Both are
    stored with who and when. **Unpublishing** withdraws the page: its address stays and
    answers with a notice and the reason, and the state follows the claims again.
    """

    class State(models.TextChoices):
        TO_DO = "to_do", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        IN_REVIEW = "in_review", "In review"
        READY = "ready", "Ready to publish"
        PUBLISHED = "published", "Published"
        UPDATED = "updated", "Updated"

    class Publication(models.TextChoices):
        NONE = "", "Not published"
        PUBLISHED = "published", "Published"
        UPDATED = "updated", "Updated after publication"
        UNPUBLISHED = "unpublished", "Withdrawn"

    class Part(models.TextChoices):
        """The article's texts a claim can be anchored in, in reading order. A claim's
        offsets count code points from the start of its part's text (``text_of``), so a
        headline claim and a body claim at offset 0 are told apart by their part alone."""

        HEADLINE = "headline", "Headline"
        STANDFIRST = "standfirst", "Standfirst"
        BODY = "body", "Body"

    # The field holding each part's text.
    PART_FIELDS = {Part.HEADLINE: "title", Part.STANDFIRST: "standfirst", Part.BODY: "body"}

    # Publications whose public page shows the fact-check.
    LIVE = (Publication.PUBLISHED, Publication.UPDATED)
    # The details a reviewer edits on the article page (``edit_details``).
    DETAIL_FIELDS = ("title", "url", "publisher", "byline", "published_on", "language")

    title = models.CharField(max_length=500)
    title_inferred = models.BooleanField(
        default=False,
        help_text="The source had no title; this one was derived from the first sentence. "
        "Cleared when a reviewer confirms or changes the title.",
    )
    standfirst = models.TextField(blank=True, help_text="Subtitle or summary below the title.")
    byline = models.CharField("author", max_length=300, blank=True)
    publisher = models.ForeignKey(
        Publisher,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    url = models.URLField("canonical URL", max_length=2000, blank=True)
    published_on = models.DateField("publication date", null=True, blank=True)
    language = models.CharField(
        max_length=2,
        blank=True,
        choices=locales.languages,
        help_text="The article's language (ISO 639-1 code).",
    )
    section = models.CharField(max_length=200, blank=True, help_text="Section label, if any.")
    body = models.TextField(
        help_text="Cleaned text that claims are anchored in; offsets count Unicode code points."
    )
    notes = models.TextField(
        blank=True, help_text="Provenance kept from the original, e.g. syndication notes."
    )
    raw_text = models.TextField(help_text="The original file's text, exactly as imported.")
    raw_encoding = models.CharField(max_length=40, default="utf-8")
    source_name = models.CharField(
        max_length=500,
        blank=True,
        help_text="Where the article was imported from: the file's path relative to the folder "
        "given to the import (provenance only; an article is known by its URL or content).",
    )
    fetched_url = models.URLField(
        "fetched from",
        max_length=2000,
        blank=True,
        help_text="The address the article was fetched from, after redirects, when it was "
        "imported from a link (its canonical URL is kept in url).",
    )
    removed_lines = models.JSONField(
        default=list,
        blank=True,
        help_text="Lines the importer left out of the body as site furniture (captions, "
        "newsletter prompts, comment forms), in the order they stood.",
    )
    content_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the raw text (UTF-8)."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imported_articles",
    )
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1,
        help_text="Raised on every save; a details edit based on an older version is refused.",
    )

    # Publication (see the class docstring).
    publication = models.CharField(
        max_length=20, choices=Publication.choices, default=Publication.NONE, blank=True
    )
    slug = models.SlugField(
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="The public page's address (/fact-checks/<slug>/), made from the title at "
        "the first publication and kept when the title changes.",
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_articles",
        editable=False,
        help_text="Who first published it.",
    )
    revised_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the published fact-check last changed: a correction approved, claims "
        "added, or published again after a withdrawal.",
    )
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revised_articles",
        editable=False,
    )
    unpublished_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it was last withdrawn."
    )
    republished_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When it was published again after its last withdrawal.",
    )
    unpublished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unpublished_articles",
        editable=False,
    )
    unpublish_reason = models.TextField(
        blank=True, editable=False, help_text="Why it was last withdrawn; shown on its page."
    )

    history = HistoricalRecords(excluded_fields=["raw_text", "body"])
    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "-imported_at", "pk"]
        indexes = [
            models.Index(fields=["publication"]),
            # The claims table sorted by article reads articles in title order and their claims
            # from the (article, start) index: no sort of every claim.
            models.Index(fields=["title"], name="article_title"),
            # The dashboard's date sorts read a page from an index on PostgreSQL (migration
            # 0025: SQLite cannot index NULLS LAST, and sorts its few articles quickly).
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(publication="") | Q(published_at__isnull=False, slug__isnull=False),
                name="article_published_has_date_and_slug",
            ),
        ]

    def __str__(self):
        return self.title

    # The text check-worthy suggestions are worked out from (``Suggestion.objects.refresh_for``).
    SUGGESTED_FROM = ("title", "standfirst", "body")

    def save(self, *args, **kwargs):
        if not self.content_hash:
            self.content_hash = self.hash_text(self.raw_text or self.body)
        created = self._state.adding
        # A details form opened before an import, a publication or an admin edit is refused.
        save_raising_version(self, super().save, *args, **kwargs)
        # Suggestions follow the text: worked out at import and whenever the text changes.
        text = self._suggested_text()
        if created or text != getattr(self, "_suggested_from", None):
            Suggestion.objects.refresh_for(self, created=created)
        self._suggested_from = text

    def get_absolute_url(self):
        return reverse("annotations:article-detail", args=[self.pk])

    def text_of(self, part: str) -> str:
        """The text claims of ``part`` (an ``Article.Part``) are anchored in: the title for
        the headline, the standfirst, or the body."""
        return getattr(self, self.PART_FIELDS[self.Part(part)])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._suggested_from = instance._suggested_text()
        return instance

    def _suggested_text(self) -> tuple | None:
        """The texts suggestions are made from, or None when they were not loaded (a save of
        other fields from ``.only(…)`` leaves the suggestions alone)."""
        loaded = self.__dict__
        if any(name not in loaded for name in self.SUGGESTED_FROM):
            return None
        return tuple(loaded[name] for name in self.SUGGESTED_FROM)

    def get_public_url(self) -> str | None:
        """The public fact-check page (also answering once withdrawn), if ever published."""
        return reverse("annotations:fact-check", args=[self.slug]) if self.slug else None

    @property
    def url_is_link(self) -> bool:
        """Its address may be linked to: http(s) only (``urlnorm.is_http_url``); anything else
        (``javascript:``, a file path) is shown as text, never put in an ``href``."""
        return is_http_url(self.url)

    @staticmethod
    def hash_text(raw_text: str) -> str:
        return hashlib.sha256(raw_text.encode("utf-8")).hexdigest()

    def clean(self):
        super().clean()
        if self.url:
            try:
                self.url = normalize_url(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error}) from None
            if other := Article.objects.filter(url=self.url).exclude(pk=self.pk).first():
                raise ValidationError(
                    {
                        "url": ValidationError(
                            "Another article has this URL: “%(title)s” (article #%(pk)s).",
                            code="duplicate",
                            params={"title": other.title, "pk": other.pk},
                        )
                    }
                )

    # --- Workflow ---------------------------------------------------------------------------

    @staticmethod
    def state_from(claim_counts, publication: str = "") -> str:
        """The state an article is in, from how many of its claims are in each claim state
        (a mapping state → count) and its publication: the one rule behind
        ``review_state``, ``with_review_state`` and ``in_state``."""
        if publication in Article.LIVE:
            return publication
        if not any(claim_counts.values()):
            return Article.State.TO_DO
        if any(claim_counts.get(state) for state in Claim.WORK_STATES):
            return Article.State.IN_PROGRESS
        if claim_counts.get(Claim.State.NEEDS_REVIEW):
            return Article.State.IN_REVIEW
        return Article.State.READY

    @property
    def review_state(self) -> str:
        """The article's ``State`` (annotated by ``with_review_state``, or one query)."""
        if "_review_state" not in self.__dict__:
            counts = dict(
                self.claims.order_by().values_list("state").annotate(n=Count("pk"))
                if self.pk
                else []
            )
            self._review_state = self.state_from(counts, self.publication)
        return self._review_state

    @review_state.setter
    def review_state(self, value: str) -> None:
        # Set by the ``with_review_state`` annotation, or by a page that counted the claims.
        self._review_state = value

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self.__dict__.pop("_review_state", None)  # counted again when next asked

    @property
    def review_state_label(self) -> str:
        return self.State(self.review_state).label

    @property
    def is_live(self) -> bool:
        """Whether the public page shows the fact-check."""
        return self.publication in self.LIVE

    # --- Details ----------------------------------------------------------------------------

    def edit_details(self, *, by, version: int | None, title_confirmed: bool = False, **details):
        """Change the article's details (``DETAIL_FIELDS``; ``publisher`` a Publisher or None,
        ``url`` normalised here) unless someone saved the article since ``version``
        (``StaleArticleError``, nothing written). Changing the title, or confirming it, clears
        the "inferred title" flag. A new title moves the headline's claims onto it, or orphans
        those whose words are gone (``headline_orphans`` lists them afterwards). Returns
        whether anything changed."""
        unknown = set(details) - set(self.DETAIL_FIELDS)
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        self.headline_orphans = []
        if details.get("url"):
            details["url"] = normalize_url(details["url"])
        with transaction.atomic():
            stored = Article.objects.select_for_update().filter(pk=self.pk).first()
            if stored is None:
                raise Article.DoesNotExist("This article has been deleted meanwhile.")
            if version is not None and stored.version != version:
                raise StaleArticleError(stored)
            publisher = details.get("publisher")
            if publisher is not None and publisher.pk is None:  # a new one, typed in the form
                details["publisher"] = Publisher.objects.filter(
                    name__iexact=publisher.name
                ).first() or Publisher.objects.create(
                    name=publisher.name, url=publisher.url, country=publisher.country
                )
            changed = [name for name, value in details.items() if getattr(stored, name) != value]
            confirm = stored.title_inferred and (title_confirmed or "title" in changed)
            if not (changed or confirm):
                return False
            for name, value in details.items():
                setattr(stored, name, value)
            if confirm:
                stored.title_inferred = False
            stored._history_user = by
            stored._change_reason = "Details edited" + (
                "; title confirmed" if confirm and "title" not in changed else ""
            )
            stored.save()
            # The headline's claims are found again in the new title, or orphaned.
            if "title" in changed:
                _, self.headline_orphans = Claim.objects.reanchor(
                    stored, by=by, parts=[Article.Part.HEADLINE]
                )
                live.article_text_changed(stored.pk, by)
        self.refresh_from_db()
        return True

    # --- Publication ------------------------------------------------------------------------

    def _locked(self) -> "Article":
        """The stored row, locked for a publication change (inside a transaction)."""
        return Article.objects.select_for_update().get(pk=self.pk)

    def publishable_claims(self):
        """Approved claims an editor can put on the public page, in reading order."""
        return self.claims.approved().select_related("verdict").in_reading_order("orphaned_at")

    def publish(self, claims, *, by, version: int | None, reason: str = "") -> list["Claim"]:
        """Publish the fact-check with ``claims`` (approved claims of this article) on its
        public page, or add claims to a published one (``reason`` then says why, for the
        page's corrections and updates log). Editors only; the first publication needs the
        article ready (every claim approved or dismissed). Claims once published stay: a
        change to one is a correction (``ClaimRevision``). Returns the claims added."""
        reason = (reason or "").strip()
        if not by.is_editor:
            raise WorkflowError("Only an editor can publish a fact-check.")
        with transaction.atomic():
            stored = self._locked()
            if version is not None and stored.version != version:
                raise StaleArticleError(stored)
            chosen = {claim.pk for claim in claims}
            approved = set(
                Claim.objects.filter(article=stored, pk__in=chosen)
                .approved()
                .values_list("pk", flat=True)
            )
            if chosen - approved:
                raise WorkflowError(
                    "Only approved claims of this article can be published; reload the page: "
                    "some claim changed meanwhile."
                )
            already = set(
                PublishedClaim.objects.filter(claim__article=stored).values_list(
                    "claim_id", flat=True
                )
            )
            added = chosen - already
            now = timezone.now()
            if not stored.published_at:
                if not chosen:
                    raise WorkflowError("Choose at least one approved claim to publish.")
                if stored.review_state != Article.State.READY:
                    raise WorkflowError(
                        "The article is not ready: every claim must be approved, or dismissed "
                        "as not checkable, before the fact-check is published."
                    )
                stored.slug = stored.unique_slug()
                stored.published_at, stored.published_by = now, by
                stored.publication = Article.Publication.PUBLISHED
                change = "Published"
            elif stored.is_live:
                if not added:
                    raise WorkflowError(
                        "Nothing to add: choose an approved claim that is not on the page yet."
                    )
                if not reason:
                    raise WorkflowError(
                        "Say why claims are added to the published fact-check: the reason is "
                        "shown in its corrections and updates log."
                    )
                stored.publication = Article.Publication.UPDATED
                stored.revised_at, stored.revised_by = now, by
                change = f"Added {len(added)} claim(s) to the published fact-check: {reason}"
            else:  # withdrawn: published again, with the claims chosen now added
                if not (chosen | already):
                    raise WorkflowError("Choose at least one approved claim to publish.")
                stored.publication = Article.Publication.UPDATED
                stored.revised_at, stored.revised_by = now, by
                stored.republished_at = now
                change = "Published again after its withdrawal"
            verdicts = dict(Claim.objects.filter(pk__in=added).values_list("pk", "verdict_id"))
            scale = Verdict.objects.rating_scale()
            rated = Verdict.objects.in_bulk(set(verdicts.values()) - {None})
            PublishedClaim.objects.bulk_create(
                PublishedClaim(
                    claim_id=pk,
                    published_at=now,
                    published_by=by,
                    note=reason if stored.published_at != now else "",
                ).freeze_rating(rated.get(verdicts[pk]), scale)
                for pk in sorted(added)
            )
            stored._history_user, stored._change_reason = by, change
            stored.save()
        self.refresh_from_db()
        return list(Claim.objects.filter(pk__in=added))

    def unpublish(self, *, by, version: int | None, reason: str) -> None:
        """Withdraw the public page: it keeps answering, with a notice giving ``reason``."""
        reason = (reason or "").strip()
        if not by.is_editor:
            raise WorkflowError("Only an editor can withdraw a fact-check.")
        if not reason:
            raise WorkflowError("Say why the fact-check is withdrawn: readers see the reason.")
        with transaction.atomic():
            stored = self._locked()
            if version is not None and stored.version != version:
                raise StaleArticleError(stored)
            if not stored.is_live:
                raise WorkflowError("This fact-check is not published.")
            stored.publication = Article.Publication.UNPUBLISHED
            stored.unpublished_at, stored.unpublished_by = timezone.now(), by
            stored.unpublish_reason = reason
            stored._history_user = by
            stored._change_reason = f"Withdrawn: {reason}"
            stored.save()
        self.refresh_from_db()

    def note_correction(self, revision: "ClaimRevision") -> None:
        """An approved change to one of its published claims: the published fact-check is
        now *updated*, by the editor who approved it (called by ``Claim.approve_revision``)."""
        publication = PublishedClaim.objects.filter(claim_id=revision.claim_id).first()
        if publication is None:
            return
        if "verdict" in revision.changes:  # the review as published from now on
            verdict = Verdict.objects.filter(pk=revision.changes["verdict"]).first()
            publication.freeze_rating(verdict, Verdict.objects.rating_scale())
            publication._history_user = revision.decided_by
            publication.save(update_fields=[*PublishedClaim.RATING_FIELDS])
        stored = self._locked()
        if stored.is_live:
            stored.publication = Article.Publication.UPDATED
            stored.revised_at, stored.revised_by = revision.decided_at, revision.decided_by
            stored._history_user = revision.decided_by
            stored._change_reason = (
                f"Correction: change #{revision.pk} to claim {revision.claim_id}"
            )
            stored.save()

    def unique_slug(self) -> str:
        """A readable address from the title, unique among articles: "bus-fares-rise",
        then "bus-fares-rise-2"…"""
        length = self._meta.get_field("slug").max_length - 8
        base = slugify(self.title)[:length].strip("-") or "fact-check"
        taken = set(
            Article.objects.filter(slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        return slug


class ArticleTallyQuerySet(models.QuerySet):
    #: How ``matching`` chose these tallies: (the tallies of its filters on the counts, its
    #: condition on the article ids), for ``ArticleVerdictTally.objects.of`` to choose the
    #: same verdict tallies without reading these again; None otherwise.
    selection = None

    def counting(self, *, review_state=None, claim_state=None, verdict=None):
        """The tallies of articles in ``review_state``, with claims in ``claim_state`` and with
        claims of ``verdict`` (a Verdict or its id): the filters of ``ArticleQuerySet.matching``
        that are read from the counts. Empty ones are not applied; an unknown state matches
        nothing."""
        tallies = self
        if review_state:
            if review_state not in Article.State.values:
                return self.none()
            tallies = tallies.filter(review_state=review_state)
        if claim_state:
            if claim_state not in Claim.State.values:
                return self.none()
            tallies = tallies.filter(**{f"{claim_state}__gt": 0})
        if verdict:
            with_verdict = ArticleVerdictTally.objects.filter(verdict=verdict, claims__gt=0)
            tallies = tallies.filter(article__in=with_verdict.values("article_id"))
        return tallies

    def matching(self, *, q="", review_state=None, claim_state=None, verdict=None, **filters):
        """The tallies of the articles ``Article.objects.matching`` gives for the same filters:
        one row each, so their count is the articles', and the charts sum them without
        reading the articles' table unless a filter is on it (``q``, ``publisher``,
        ``assignee``)."""
        counted = self.counting(review_state=review_state, claim_state=claim_state, verdict=verdict)
        condition = ArticleQuerySet.id_condition("article_id", q=q, **filters)
        tallies = counted.filter(condition)
        # Not carried by a clone: filtered further, these are no longer what it says.
        tallies.selection = (counted, condition)
        return tallies

    def articles_and_claims_by_state(self) -> tuple[int, dict[str, int]]:
        """How many articles these are, and claim state → how many of their claims are in it
        (one query)."""
        totals = self.aggregate(
            articles=Count("pk"), **{f"n_{state}": Sum(state) for state in Claim.State.values}
        )
        return totals["articles"], {state: totals[f"n_{state}"] or 0 for state in Claim.State}


class ArticleTally(models.Model):
    """One article's claims counted by state, kept by database triggers as claims change
    (``annotations/tallies.py``): what the dashboard's charts, filters and progress sorts read
    instead of every claim. Made by a trigger with the article; never written by the app."""

    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="tally"
    )
    title = models.CharField(
        max_length=500,
        help_text="The article's title, copied by the trigger: the progress sorts order by "
        "it after the progress, read from one index of this table.",
    )
    publication = models.CharField(
        max_length=20,
        blank=True,
        help_text="The article's publication, copied by the trigger, for review_state.",
    )
    publisher_name = models.CharField(
        max_length=300,
        null=True,
        blank=True,
        help_text="The name of the article's publisher (empty without one), copied by the "
        "triggers: the publisher sorts order by it, then the title, read from an index of this "
        "table.",
    )
    verdict_bits = models.BigIntegerField(
        default=0,
        db_default=0,
        help_text="The verdicts the article's claims have: a bit a verdict "
        "(tallies.verdict_bit), kept by the triggers, part of the article's profile in the "
        "desk's totals (DeskTally).",
    )
    # One column per claim state, named as the state's value (tallies.states()).
    to_do = models.IntegerField(default=0)
    in_progress = models.IntegerField(default=0)
    needs_review = models.IntegerField(default=0)
    approved = models.IntegerField(default=0)
    sent_back = models.IntegerField(default=0)
    dismissed = models.IntegerField(default=0)
    claims = models.GeneratedField(
        expression=F("to_do")
        + F("in_progress")
        + F("needs_review")
        + F("approved")
        + F("sent_back")
        + F("dismissed"),
        output_field=models.IntegerField(),
        db_persist=True,
        help_text="All of the article's claims.",
    )
    progress = models.GeneratedField(
        expression=Cast(F("approved"), models.FloatField())
        / NullIf(
            Cast(
                F("to_do")
                + F("in_progress")
                + F("needs_review")
                + F("approved")
                + F("sent_back")
                + F("dismissed"),
                models.FloatField(),
            ),
            Value(0.0),
        ),
        output_field=models.FloatField(),
        db_persist=True,
        help_text="The share of the claims that are approved; empty without claims.",
    )
    review_state = models.GeneratedField(
        expression=Case(
            When(publication__in=Article.LIVE, then=F("publication")),
            When(
                Q(to_do=0, in_progress=0, needs_review=0, approved=0, sent_back=0, dismissed=0),
                then=Value(Article.State.TO_DO.value),
            ),
            When(
                Q(to_do__gt=0) | Q(in_progress__gt=0) | Q(sent_back__gt=0),
                then=Value(Article.State.IN_PROGRESS.value),
            ),
            When(needs_review__gt=0, then=Value(Article.State.IN_REVIEW.value)),
            default=Value(Article.State.READY.value),
        ),
        output_field=models.CharField(max_length=20),
        db_persist=True,
        help_text="The article's state (Article.state_from), for the dashboard's filter.",
    )

    objects = ArticleTallyQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["review_state"], name="tally_review_state"),
            # The progress sorts read their page from an index on PostgreSQL (migration 0028:
            # SQLite cannot index NULLS FIRST/LAST).
        ]

    def __str__(self):
        return f"claims of article #{self.article_id}"


class ArticleVerdictTallyQuerySet(models.QuerySet):
    def of(self, tallies):
        """The verdict tallies of the articles of ``tallies`` (all when it filters nothing).
        Those of ``ArticleTally.objects.matching`` are chosen as it chose them: its filters
        on the counts through the articles' tallies, the others (``q``, ``publisher``,
        ``assignee``) by the same subqueries of article ids, not through the tallies again
        (on the 2,000,000-claim desk that cost the assignee filters 48 ms)."""
        if tallies.selection is None:
            counted, condition = tallies, Q()
        else:
            counted, condition = tallies.selection
        rows = self
        if counted.query.has_filters():
            rows = rows.filter(article__in=counted.values("article_id"))
        return rows.filter(condition)

    def claims_by_verdict(self) -> dict[int, int]:
        """Verdict id → how many claims have it, over these articles (one query)."""
        rows = self.values_list("verdict_id").annotate(n=Sum("claims")).order_by()
        return {verdict_id: n for verdict_id, n in rows if n}


class ArticleVerdictTally(models.Model):
    """How many of an article's claims have a verdict, kept by database triggers as claims
    change (``annotations/tallies.py``); a row stays at 0 when its last claim loses the
    verdict."""

    # Indexed by the unique (article, verdict) and by (verdict, article): no index of their own.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="verdict_tallies", db_index=False
    )
    verdict = models.ForeignKey(
        "Verdict", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    claims = models.IntegerField(default=0)

    objects = ArticleVerdictTallyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "verdict"], name="verdict_tally_unique"),
        ]
        indexes = [
            # The verdict filter: the articles with claims of one verdict.
            models.Index(fields=["verdict", "article"], name="verdict_tally_articles"),
        ]

    def __str__(self):
        return f"verdict #{self.verdict_id} of article #{self.article_id}"


class DeskTallyQuerySet(models.QuerySet):
    #: Rows of changes (not folded) after which reading the totals folds them
    #: (``tallies.fold_desk``).
    FOLD_AFTER = 500
    #: The filters of ``ArticleQuerySet.matching`` a profile answers (``counting``).
    PROFILE_FILTERS = ("review_state", "claim_state", "verdict")

    def counting(self, *, review_state=None, claim_state=None, verdict=None):
        """The totals of the articles in ``review_state``, with claims in ``claim_state`` and
        with claims of ``verdict`` (a Verdict or its id, one with a bit:
        ``tallies.verdict_bit``): the profiles those filters select
        (``ArticleTally.objects.counting`` selects the same articles one by one). Empty ones
        are not applied; an unknown state matches nothing."""
        from annotations import tallies

        rows = self
        if review_state:
            if review_state not in Article.State.values:
                return self.none()
            rows = rows.filter(review_state=review_state)
        if claim_state:
            if claim_state not in Claim.State.values:
                return self.none()
            rows = rows.filter(claim_states__in=tallies.profiles_with(claim_state))
        if verdict:
            bit = tallies.verdict_bit(getattr(verdict, "pk", verdict))
            if bit is None:
                raise ValueError(f"verdict {verdict!r} has no bit in the profiles")
            rows = rows.alias(of_verdict=F("verdict_bits").bitand(bit)).filter(of_verdict__gt=0)
        return rows

    def selecting(self, filters: dict):
        """The profiles of the articles the dashboard's ``filters`` (``matching``'s arguments)
        select, for their totals; None when one of them is not a profile's (words, a
        publisher, an assignee, a verdict without a bit): then their articles' tallies are
        summed instead."""
        from annotations import tallies

        if any(value for name, value in filters.items() if name not in self.PROFILE_FILTERS):
            return None
        verdict = filters.get("verdict")
        if verdict and tallies.verdict_bit(getattr(verdict, "pk", verdict)) is None:
            return None
        return self.counting(**{name: filters.get(name) for name in self.PROFILE_FILTERS})

    def totals(self) -> tuple[dict, dict, int]:
        """These articles' (claims by state, claims by verdict id (None: without one),
        articles), summed from the rows the triggers add and the folds write (one query; now
        and then a second folds them)."""
        from annotations import tallies

        by_state, by_verdict = dict.fromkeys(Claim.State, 0), defaultdict(int)
        articles = unfolded = 0
        for state, verdict_id, claims, n_articles, n_unfolded in (
            self.values_list("state", "verdict_id")
            .annotate(Sum("claims"), Sum("articles"), unfolded=Count("pk", filter=Q(folded=False)))
            .order_by()
        ):
            unfolded += n_unfolded
            articles += n_articles
            if state:
                by_state[Claim.State(state)] += claims
            elif verdict_id is not None:
                by_verdict[verdict_id] += claims
        by_verdict[None] = sum(by_state.values()) - sum(by_verdict.values())
        # The folded rows are one per key (thousands on a large desk: a profile per review
        # state, claim states and verdicts); the rows of changes added since are what a fold
        # saves.
        if unfolded > self.FOLD_AFTER:
            tallies.fold_desk_if_free(connections[self.db])
        return by_state, by_verdict, articles


class DeskTally(models.Model):
    """Changes to the desk's totals by kind of article (its *profile*: its review state, the
    claim states it has claims in and the verdicts its claims have), added by the tallies'
    triggers (``annotations/tallies.py``) and summed when read: an article's claims in a state
    (``state``), its claims with a verdict (``verdict``, ``state`` empty) or the article
    itself (``articles``). The whole desk's totals are the sum of every row; the
    article-state, claim-state and verdict filters' totals the sum of the profiles they
    select. Every
    change is a new row, never an update of one: a total kept in one row would make every
    claim change on the desk wait for the others' transactions to end. Reading them folds them
    into one row per key once there are many."""

    review_state = models.CharField(
        max_length=20,
        blank=True,
        default="",
        db_default="",
        help_text="The articles' review state (ArticleTally.review_state).",
    )
    claim_states = models.IntegerField(
        default=0,
        db_default=0,
        help_text="The claim states the articles have claims in: a bit a state "
        "(tallies.state_bit).",
    )
    verdict_bits = models.BigIntegerField(
        default=0,
        db_default=0,
        help_text="The verdicts the articles' claims have: a bit a verdict "
        "(tallies.verdict_bit; ArticleTally.verdict_bits).",
    )
    state = models.CharField(
        max_length=20, blank=True, help_text="The claims' state; empty for verdicts, articles."
    )
    verdict = models.ForeignKey(
        "Verdict", null=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    claims = models.IntegerField(default=0)
    articles = models.IntegerField(default=0)
    folded = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Written by a fold (one row per key) rather than added by a trigger: only "
        "the others count towards the next fold (DeskTallyQuerySet.FOLD_AFTER).",
    )

    objects = DeskTallyQuerySet.as_manager()

    def __str__(self):
        what = self.state or (f"verdict #{self.verdict_id}" if self.verdict_id else "")
        return f"{self.claims:+} claims {what} / {self.articles:+} articles"


class PublishedClaim(models.Model):
    """A claim an editor put on its article's public page, and when. Claims stay published
    while the article is (a change to one is a correction, ``ClaimRevision``); the public page
    shows the approved claims that have one of these rows."""

    claim = models.OneToOneField(
        "Claim", on_delete=models.CASCADE, related_name="publication", primary_key=True
    )
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(
        blank=True,
        help_text="Why it was added to a fact-check already published (shown in its log); "
        "empty for the claims of the first publication.",
    )
    # The rating as published (ClaimReview's reviewRating), frozen when the claim is published
    # and when a correction of its verdict is approved: a later edit of the verdict vocabulary
    # (a label, a rating, the scale's ends) does not change a review already published.
    rating_label = models.CharField(
        max_length=60, blank=True, help_text="The verdict's label when it was published."
    )
    rating_value = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The verdict's rating when published; empty off-scale."
    )
    best_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The best rating of the scale when published."
    )
    worst_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The worst rating of the scale when published."
    )

    RATING_FIELDS = ("rating_label", "rating_value", "best_rating", "worst_rating")

    history = HistoricalRecords()

    class Meta:
        ordering = ["published_at", "claim"]

    def __str__(self):
        return f"Claim {self.claim_id} published {self.published_at:%Y-%m-%d}"

    def freeze_rating(self, verdict: "Verdict | None", scale: tuple[int, int]) -> "PublishedClaim":
        """Keep ``verdict``'s label and rating, and the scale's ``(best, worst)``, as the
        published review's."""
        self.rating_label = verdict.label if verdict else ""
        self.rating_value = verdict.rating if verdict else None
        self.best_rating, self.worst_rating = scale
        return self

    @property
    def frozen_rating(self) -> dict | None:
        """The rating as published, or None for a publication recorded before ratings were
        kept."""
        if not self.rating_label:
            return None
        return {
            "label": self.rating_label,
            "rating": self.rating_value,
            "best": self.best_rating,
            "worst": self.worst_rating,
        }


class Methodology(models.Model):
    """How the desk checks claims: one text, edited by admins in the admin and shown on every
    public fact-check (IFCN: transparency of methodology)."""

    text = models.TextField(
        help_text="Plain text; blank lines separate paragraphs. Shown on every published "
        "fact-check."
    )
    corrections_policy = models.TextField(
        blank=True, help_text="How readers ask for a correction and how corrections are made."
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "methodology"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="methodology_single_row"),
        ]

    def __str__(self):
        return "Methodology"

    def save(self, *args, **kwargs):
        self.pk = 1  # one per desk
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "Methodology | None":
        return cls.objects.filter(pk=1).first()


# --- Verdict vocabulary -----------------------------------------------------------------------


class VerdictQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def active_options(self) -> list[tuple[int, str]]:
        """(id, label) of the ``active`` verdicts, in their order: the claim panel's verdict
        options (``constant_rows``)."""
        return constant_rows(
            "active-verdicts", Verdict, lambda: Verdict.objects.active().values_list("pk", "label")
        )

    def rating_scale(self) -> tuple[int, int]:
        """``(best, worst)``: the ends of the rating scale the vocabulary uses now (5 and 1
        while no verdict is rated)."""
        found = self.filter(rating__isnull=False).aggregate(
            best=models.Max("rating"), worst=models.Min("rating")
        )
        return found["best"] or 5, found["worst"] or 1


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb.")


class Verdict(models.Model):
    """One entry of the verdict vocabulary, editable by admins."""

    label = models.CharField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    colour = models.CharField(
        max_length=7, validators=[hex_colour], help_text="Highlight colour, #rrggbb."
    )
    order = models.PositiveIntegerField(default=0, help_text="Position in lists; lowest first.")
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Retired verdicts stay on the claims that have them but are no longer offered.",
    )
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="schema.org ClaimReview rating, 1 (false) to 5 (true); empty for verdicts "
        "such as 'Unverifiable' that are not on the scale.",
    )

    history = HistoricalRecords()
    objects = VerdictQuerySet.as_manager()

    class Meta:
        ordering = ["order", "label"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="verdict_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="verdict_colour_hex"
            ),
        ]

    def __str__(self):
        return self.label


# --- Sources ----------------------------------------------------------------------------------


class SourceQuerySet(models.QuerySet):
    def search(self, text: str):
        """Sources whose title, URL or publisher contain ``text``."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(title__icontains=text) | Q(url__icontains=text) | Q(publisher__icontains=text)
        )

    def with_usage(self):
        """Annotate ``claim_count`` (claims citing it) and ``approved_verdict_count`` (approved
        claims with a verdict that cite it), read from the counts the database keeps
        (``SourceTally``, ``annotations/source_tallies.py``).

        Counting them from the citations looked up each citing claim's state: 25–30 ms of the
        page of a source cited 5,481 times, and seconds for the source list, which counted
        every source to show 50 (make bench-scale, README "Scale").
        """
        return self.annotate(
            claim_count=Coalesce(F("tally__claims"), 0),
            approved_verdict_count=Coalesce(F("tally__approved_verdicts"), 0),
        )

    def with_usage_counted(self):
        """``with_usage`` counted from the citations and claims themselves: what the kept
        counts must equal (the tests compare them)."""
        cited = Citation.objects.filter(source=OuterRef("pk")).order_by().values("source")
        claims = cited.annotate(n=Count("claim_id", distinct=True)).values("n")
        approved = (
            cited.filter(claim__state=Claim.State.APPROVED, claim__verdict__isnull=False)
            .annotate(n=Count("claim_id", distinct=True))
            .values("n")
        )
        return self.annotate(
            claim_count=Coalesce(Subquery(claims), 0),
            approved_verdict_count=Coalesce(Subquery(approved), 0),
        )

    def with_snapshot_count(self):
        """Annotate ``snapshot_count``, counted for the sources the query returns (a subquery,
        not a join grouped by source: the source list grouped all 50,000 sources of the
        2,000,000-claim desk to show 50)."""
        snapshots = (
            SourceSnapshot.objects.filter(source=OuterRef("pk"))
            .order_by()
            .values("source")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(snapshot_count=Coalesce(Subquery(snapshots), 0))

    def unused(self):
        return self.filter(citations__isnull=True)

    def backing_approved_verdicts(self):
        return self.filter(tally__approved_verdicts__gt=0)


class StaleSourceError(Exception):
    """Someone else saved the source since the form was loaded; ``current`` holds their version."""

    def __init__(self, current: "Source"):
        self.current = current
        super().__init__(
            "Someone else changed this source while you were editing it; nothing was changed. "
            "Their version is shown below: check it and save again."
        )


class Source(models.Model):
    """A page or document that confirms or refutes claims, kept once in the library.

    Sources carry a ``version`` like claims: every save raises it, whatever the path (the
    source's page, the admin, a CSV import, a merge), and ``save_version`` refuses a change
    based on an older one, so two people editing a source never overwrite each other.
    """

    class Kind(models.TextChoices):
        OFFICIAL_STATISTICS = "official_statistics", "Official statistics"
        GOVERNMENT_REPORT = "government_report", "Government / agency report"
        COURT_RECORD = "court_record", "Court record"
        ACADEMIC_PAPER = "academic_paper", "Academic paper"
        PRESS_RELEASE = "press_release", "Press release"
        INTERVIEW = "interview", "Interview / transcript"
        NEWS_REPORT = "news_report", "News report"
        FACT_CHECK = "fact_check", "Fact-check"
        OTHER = "other", "Other"

    class Reliability(models.TextChoices):
        UNRATED = "", "Not yet rated"
        PRIMARY_OFFICIAL = "primary_official", "Primary official data"
        PEER_REVIEWED = "peer_reviewed", "Peer-reviewed research"
        ESTABLISHED_OUTLET = "established_outlet", "Established outlet"
        UNVERIFIED = "unverified", "Unverified"
        KNOWN_UNRELIABLE = "known_unreliable", "Known unreliable"

    title = models.CharField(max_length=500)
    url = models.URLField(
        "URL",
        max_length=2000,
        unique=True,
        help_text="Stored normalised (lower-case host, no tracking parameters or fragment).",
    )
    publisher = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    published_on = models.DateField("publication date", null=True, blank=True)
    accessed_on = models.DateField("date accessed", null=True, blank=True)
    reliability = models.CharField(
        max_length=30, choices=Reliability.choices, default=Reliability.UNRATED, blank=True
    )
    reliability_rationale = models.TextField(blank=True)
    archive_url = models.URLField("archive URL", max_length=2000, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_sources",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every save; an edit based on an older version is refused."
    )

    history = HistoricalRecords()
    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        indexes = [
            # The source lists (the app's and the admin's) show 50 in this order: read from
            # the index instead of sorting every source (50,000 on the 2,000,000-claim desk).
            models.Index(fields=["title", "id"], name="source_title_order"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Normalised on every save, whatever the entry path (admin, panel, import, shell).
        self.url = normalize_url(self.url)
        if self.archive_url:
            self.archive_url = normalize_url(self.archive_url)
        save_raising_version(self, super().save, *args, **kwargs)

    @property
    def url_is_link(self) -> bool:
        """Its address may be linked to: http(s) only (``urlnorm.is_http_url``); anything else
        (``javascript:``, a file path) is shown as text, never put in an ``href``."""
        return is_http_url(self.url)

    @property
    def archive_url_is_link(self) -> bool:
        """Its archived copy's address may be linked to, as ``url_is_link``."""
        return is_http_url(self.archive_url)

    def save_version(self, version: int | None, *, by) -> None:
        """Save this source's values if the stored row is still at ``version`` (the one the
        user's form showed); otherwise raise ``StaleSourceError`` and write nothing."""
        with transaction.atomic():
            stored = Source.objects.select_for_update().filter(pk=self.pk).first()
            if stored is None:
                raise Source.DoesNotExist("This source has been deleted meanwhile.")
            if version is not None and stored.version != version:
                raise StaleSourceError(stored)
            self._history_user = by
            self.save()

    def rate(self, *, by, version: int | None, reliability: str, rationale: str) -> None:
        """Set the reliability rating and why, unless someone saved the source meanwhile."""
        self.reliability = reliability
        self.reliability_rationale = rationale.strip()
        self.save_version(version, by=by)

    def clean(self):
        super().clean()
        errors = {}
        if self.url:
            try:
                self.url = normalize_url(self.url)
            except ValidationError as error:
                errors["url"] = error
            else:
                duplicate = self.find_duplicate()
                if duplicate:
                    # The code and params let a form turn this into a link to the existing one.
                    errors["url"] = ValidationError(
                        "This page is already in the library as “%(title)s” (source #%(pk)s).",
                        code="duplicate",
                        params={"title": duplicate.title, "pk": duplicate.pk},
                    )
        if self.archive_url:
            try:
                self.archive_url = normalize_url(self.archive_url)
            except ValidationError as error:
                errors["archive_url"] = error
        # The same rule on every path that validates (the source's page, admin, CSV import).
        if self.reliability and not (self.reliability_rationale or "").strip():
            errors["reliability_rationale"] = ValidationError(
                "Say why the source gets this rating.", code="no_rationale"
            )
        if errors:
            raise ValidationError(errors)

    def find_duplicate(self) -> "Source | None":
        """The source already stored under this one's normalised URL, if any."""
        try:
            url = normalize_url(self.url)
        except ValidationError:
            return None
        return Source.objects.filter(url=url).exclude(pk=self.pk).first()

    @transaction.atomic
    def merge_into(self, target: "Source", *, by) -> None:
        """Fold this duplicate into ``target`` and delete it, losing nothing.

        Citations and snapshots move to ``target``; empty fields of ``target`` are filled from
        this source, and everything this source said is appended to ``target.notes``. Both
        the move and the deletion are recorded in history with a change reason.
        """
        if target.pk == self.pk:
            raise ValueError("A source cannot be merged into itself.")
        reason = f"Merged source #{self.pk} ({self.url}) into source #{target.pk}"
        for citation in self.citations.all():
            citation.source = target
            citation._change_reason = reason
            citation._history_user = by
            citation.save()
        for proposed in self.proposed_citations.all():  # cited by a change awaiting approval
            proposed.source = target
            proposed._change_reason = reason
            proposed._history_user = by
            proposed.save()
        self.snapshots.update(source=target)

        for name in ("publisher", "published_on", "accessed_on", "archive_url"):
            if not getattr(target, name) and getattr(self, name):
                setattr(target, name, getattr(self, name))
        if not target.reliability and self.reliability:
            target.reliability = self.reliability
            target.reliability_rationale = self.reliability_rationale
        target.notes = "\n\n".join(filter(None, [target.notes.strip(), self._merge_note(by)]))
        target._change_reason = reason
        target._history_user = by
        target.save()

        self._change_reason = reason
        self._history_user = by
        self.delete()

    def _merge_note(self, by) -> str:
        lines = [f"Merged from source #{self.pk} on {timezone.now():%Y-%m-%d} by {by}:"]
        for field in self._meta.concrete_fields:
            if field.name in {"id", "notes", "created_by", "updated_at", "version"}:
                continue
            value = getattr(self, field.attname)
            if value not in (None, ""):
                display = getattr(self, f"get_{field.name}_display", None)
                lines.append(f"- {field.verbose_name}: {display() if display else value}")
        if self.notes.strip():
            lines.append(f"- notes: {self.notes.strip()}")
        return "\n".join(lines)


def snapshot_upload_to(instance, filename):
    # Server-made names: the uploader's file name never reaches the file system.
    return f"snapshots/{timezone.now():%Y/%m}/{instance.sha256}"


def snapshot_rendering_upload_to(instance, filename):
    return f"snapshots/{timezone.now():%Y/%m}/{instance.sha256}-rendering.pdf"


class SourceSnapshot(models.Model):
    """A saved copy of a source, because links rot."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="snapshots")
    file = models.FileField(upload_to=snapshot_upload_to, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField("SHA-256", max_length=64)
    taken_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Snapshots archived from the source's link (annotations/snapshots.py: archive_link).
    fetched_url = models.URLField(
        "fetched from",
        max_length=2000,
        blank=True,
        help_text="The address the page was served from, after redirects; empty for uploads.",
    )
    text = models.TextField(
        blank=True, help_text="The page's text as extracted when it was archived."
    )
    text_sha256 = models.CharField(
        "SHA-256 of the text",
        max_length=64,
        blank=True,
        editable=False,
        help_text="Compared between snapshots: the page changed when its text did.",
    )
    last_seen_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The last time the live page was fetched and served exactly this file.",
    )
    archive_org_url = models.URLField(
        "Internet Archive copy",
        max_length=2000,
        blank=True,
        help_text="The copy archive.org saved when asked (when the desk enables it).",
    )
    rendering = models.FileField(
        "PDF rendering",
        upload_to=snapshot_rendering_upload_to,
        max_length=300,
        blank=True,
        help_text="An HTML page archived from its link, laid out as a PDF when it was archived "
        "(WeasyPrint; no scripts run, nothing else fetched: no pictures or outside stylesheets).",
    )

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self):
        return f"{self.source} — snapshot {self.taken_at:%Y-%m-%d %H:%M}"


@receiver(pre_create_historical_record, dispatch_uid="history-reason-fits")
def history_reason_fits(sender, history_instance, **kwargs):
    """A change reason longer than its column (100 characters) is cut with "…" for every
    model, rather than failing the save on PostgreSQL (SQLite does not check lengths)."""
    reason = history_instance.history_change_reason
    limit = history_instance._meta.get_field("history_change_reason").max_length
    if reason and limit and len(reason) > limit:
        history_instance.history_change_reason = reason[: limit - 1] + "…"


@receiver(post_delete, sender=SourceSnapshot, dispatch_uid="delete-snapshot-file")
def delete_snapshot_file(sender, instance, using, **kwargs):
    """A snapshot's stored file goes with its row, however the row goes (the admin's inline, a
    deleted source): once the deletion is committed, so a rolled-back deletion keeps its file."""
    for stored in (instance.file, instance.rendering):
        if stored:
            storage, name = stored.storage, stored.name
            transaction.on_commit(lambda s=storage, n=name: s.delete(n), using=using)


# --- Claims -----------------------------------------------------------------------------------


class WorkflowError(Exception):
    """A review-workflow rule refused an action; the message is shown to the user as is."""


class EditResult(StrEnum):
    """What a change asked of a claim did: nothing (false), saved on the claim, or proposed
    as a change to an approved claim, which waits for a second person (``ClaimRevision``)."""

    NOTHING = ""
    SAVED = "saved"
    PROPOSED = "proposed"


class StaleClaimError(WorkflowError):
    """Someone else saved the claim since the form was loaded; ``current`` holds their version."""

    def __init__(self, current: "Claim"):
        self.current = current
        super().__init__(
            "Someone else saved this claim while you were editing it; nothing was changed. "
            "Their version is shown below: check it and make your change again."
        )


@dataclass
class BulkOutcome:
    """What an action of the claims table on many claims did to one of them."""

    DONE, UNCHANGED, REFUSED = "done", "unchanged", "refused"

    claim: "Claim"
    kind: str
    message: str


class StatementStart(models.Func):
    """The start of a claim's statement in lower case: what the claims table sorts by, and
    indexes. Written out, not from Lower and Substr: the query must spell it as the index does
    (Substr's numbers would be query parameters), or SQLite does not use the index."""

    template = "LOWER(SUBSTR(%(expressions)s, 1, 60))"
    output_field = models.TextField()


class ClaimQuerySet(models.QuerySet):
    def reanchor(self, article, *, by, parts=None) -> tuple[list["Claim"], list["Claim"]]:
        """After ``article``'s text changed (an importer's update: every part; a title edit:
        the headline), find each claim's quote again in the text of its part
        (``anchoring.match_quote``: exactly or with a few characters changed, where its
        context agrees). Claims found move there; the rest become orphans, kept with their
        last known quote and the reason. Earlier orphans whose quote is back are attached
        again. Returns (found, orphaned); each claim that changed is saved with a new version
        and a history record saying why. Call inside a transaction."""
        moved, orphaned = [], []
        claims = self.filter(article=article)
        if parts is not None:
            claims = claims.filter(part__in=parts)
        for claim in claims.select_for_update().order_by("pk"):
            claim.article = article
            before = (claim.start, claim.end, claim.quote, claim.prefix, claim.suffix)
            before += (claim.is_orphan,)
            match = anchoring.match_quote(
                claim.text, claim.quote, claim.prefix, claim.suffix, position_hint=claim.start
            )
            if match.anchored and match.fuzzy and claim.state == Claim.State.APPROVED:
                # Moving it would publish other words under its verdict: a reviewer
                # re-attaches it and a second person approves the new place.
                if not claim.is_orphan:
                    claim.orphan(
                        f"its words changed (now “{match.selector.exact[:60]}”); an approved "
                        "claim takes new wording only when a second person approves it"
                    )
                reason = f"Orphaned by the article's new text: {claim.orphan_reason}"
                orphaned.append(claim)
            elif match.anchored:
                claim.set_span(match.selector)
                reason = "Moved onto the article's new text" + (
                    " (the quoted words changed)" if match.fuzzy else ""
                )
                moved.append(claim)
            else:
                if not claim.is_orphan:
                    claim.orphan(match.reason)
                reason = f"Orphaned by the article's new text: {match.reason}"
                orphaned.append(claim)
            after = (claim.start, claim.end, claim.quote, claim.prefix, claim.suffix)
            if after + (claim.is_orphan,) != before:
                claim.version += 1
                claim._history_user = by
                claim._change_reason = reason
                claim.save()
        return moved, orphaned

    def in_reading_order(self, *leading):
        """Headline claims first, then the standfirst's, then the body's; by place within.
        ``leading``: orderings that come first (``"article_id"``, ``"orphaned_at"``)."""
        rank = Case(
            When(part=Article.Part.HEADLINE, then=Value(0)),
            When(part=Article.Part.STANDFIRST, then=Value(1)),
            default=Value(2),
        )
        return self.order_by(*leading, rank, "start", "end", "pk")

    @retry_on_deadlock
    def create_from_selection(
        self, article, start: int, end: int, quote: str, *, by, part=Article.Part.BODY, **fields
    ):
        """Create a claim on ``article.text_of(part)[start:end]`` as the reviewer selected it.

        The span is trimmed of white space and must match ``quote`` (what the browser showed);
        raises ``anchoring.AnchorError`` with a message for the reviewer otherwise.
        """
        claim = self.model(article=article, part=part, created_by=by, **fields)
        claim.set_span(anchoring.selection(article.text_of(part), start, end, quote))
        claim._history_user = by
        claim.save()
        return claim

    def approved(self):
        return self.filter(state=Claim.State.APPROVED)

    def anchored(self):
        """Claims that have a place in their article's text (orphans have lost theirs)."""
        return self.filter(orphaned_at__isnull=True)

    def orphaned(self):
        return self.filter(orphaned_at__isnull=False)

    # --- The claims table (``/claims/``) and the exports of its selection -----------------

    #: The value of ``verdict`` and ``assignee`` in ``matching`` that asks for claims without one.
    NONE = "none"
    #: ``matching(conflict=…)``: the family's figures disagree, and why is not recorded yet /
    #: is recorded / either way.
    CONFLICTS = ("open", "resolved", "any")

    def matching(
        self,
        *,
        q: str = "",
        verdict=None,
        state: str | None = None,
        assignee=None,
        category: str | None = None,
        article=None,
        publisher: str | None = None,
        figure: bool | None = None,
        family: bool | None = None,
        conflict: str | None = None,
    ):
        """The claims that pass the claims table's filters (its exports use the same ones).

        ``q`` is searched as the search page reads it (``annotations.search``: statement,
        quote, claimant, explanation); ``verdict`` a Verdict or its id, or ``NONE`` for no
        verdict yet; ``assignee`` a User or a user id, or ``NONE`` for nobody; ``article`` an
        Article or its id; ``publisher`` a publisher's name; ``figure`` and ``family`` True or
        False for claims with (without) a figure in use or a family; ``conflict`` one of
        ``CONFLICTS``. A filter left as None (or empty) is not applied; values are used as
        given, so an unknown state or publisher matches nothing.

        Every condition is answered from an index: a column of the claims, a list of ids made
        once (an article's, a family's members, the search's matches) or a lookup of the
        claim's figures.
        """
        claims = self
        if verdict == self.NONE:
            claims = claims.filter(verdict__isnull=True)
        elif verdict:
            claims = claims.filter(verdict=verdict)
        if state:
            claims = claims.filter(state=state)
        if assignee == self.NONE:
            claims = claims.filter(assignee__isnull=True)
        elif assignee:
            claims = claims.filter(assignee=assignee)
        if category:
            claims = claims.filter(category=category)
        if article:
            claims = claims.filter(article=article)
        if publisher:
            claims = claims.filter(
                article__in=Article.objects.filter(publisher__name=publisher).values("pk")
            )
        if figure is not None:
            # Tested claim by claim from the figures' (claim) index: a list of every claim
            # with a figure would be a third of all claims.
            figured = Exists(ClaimFigure.objects.in_use().filter(claim=OuterRef("pk")))
            claims = claims.filter(figured if figure else ~figured)
        if family is not None:
            members = FamilyMembership.objects.order_by().values("claim_id")
            claims = claims.filter(pk__in=members) if family else claims.exclude(pk__in=members)
        if conflict:
            families_ = {
                "open": Q(family__conflict=True, family__resolution=""),
                "resolved": Q(family__conflict=True) & ~Q(family__resolution=""),
                "any": Q(family__conflict=True),
            }
            if conflict not in families_:
                return claims.none()
            members = FamilyMembership.objects.filter(families_[conflict]).order_by()
            claims = claims.filter(pk__in=members.values("claim_id"))
        if q and q.strip():
            from annotations import search

            claims = search.narrow(claims, q, kind="claim")
        return claims

    def assign(self, person, *, by, seen: dict[int, int]) -> list["BulkOutcome"]:
        """Assign each of these claims to ``person`` (None: to nobody), each on its own, as
        the claim panel does (versioned, in its history; an approved claim too, at once: the
        assignee is not published), if it is still at the version ``seen`` holds for it (the
        page the reviewer acted on). Nothing else changes: assigning is not starting work.
        Returns one outcome per claim."""
        target = getattr(person, "pk", None)
        outcomes = []
        for claim in self.select_related("assignee").order_by("pk"):

            def change(claim=claim):
                if claim.assignee_id == target:
                    return False
                claim.assignee = person
                claim._change_reason = "Assigned from the claims table"
                return True

            try:
                if seen.get(claim.pk) is None:
                    raise WorkflowError("Reload the page: it did not say which version you saw.")
                changed = claim._save_version(seen[claim.pk], by, change)
            except StaleClaimError as error:
                now = error.current
                outcomes.append(
                    BulkOutcome(
                        now,
                        BulkOutcome.REFUSED,
                        "Changed since your page was loaded, nothing was done: it is now "
                        f"{now.get_state_display().lower()}, assigned to "
                        f"{now.assignee or 'nobody'} (version {now.version}).",
                    )
                )
                continue
            except WorkflowError as error:
                outcomes.append(BulkOutcome(claim, BulkOutcome.REFUSED, str(error)))
                continue
            whom = str(person) if person else "nobody"
            if changed:
                outcomes.append(BulkOutcome(claim, BulkOutcome.DONE, f"Assigned to {whom}."))
            else:
                outcomes.append(
                    BulkOutcome(claim, BulkOutcome.UNCHANGED, f"Already assigned to {whom}.")
                )
        return outcomes

    def add_to_family(
        self, family: "ClaimFamily | None", *, by, version: int | None, statement: str = ""
    ) -> tuple["ClaimFamily | None", list["BulkOutcome"]]:
        """Put these claims in ``family`` (at ``version``, as the reviewer's page showed it),
        or in a new family (its statement ``statement``, or the first claim's), one by one
        through ``ClaimFamily.confirm``: versions, history and the family's rules hold for
        each. A family changed since the page was loaded refuses them all
        (``StaleFamilyError``, with the family as it is now), and one changed by someone else
        half-way refuses the claims not yet added; a claim in another family is refused on
        its own. Returns the family and one outcome per claim."""
        claims = list(self.select_related("family_link").order_by("pk"))
        if family is not None:
            current = ClaimFamily.objects.filter(pk=family.pk).first()
            if current is None or current.merged_into_id or current.version != version:
                shown = current.merged_into if current and current.merged_into_id else current
                raise StaleFamilyError([shown])
            family = current
        outcomes, free = [], []
        for claim in claims:
            link = getattr(claim, "family_link", None)
            if link is None:
                free.append(claim)
            elif family is not None and link.family_id == family.pk:
                outcomes.append(BulkOutcome(claim, BulkOutcome.UNCHANGED, "Already in it."))
            else:
                outcomes.append(
                    BulkOutcome(
                        claim,
                        BulkOutcome.REFUSED,
                        f"In family #{link.family_id} already: merge the two families on "
                        "its page instead.",
                    )
                )
        if family is None:
            if len(free) < 2:
                refusal = "A new family needs two claims that are in no family yet."
                outcomes += [BulkOutcome(claim, BulkOutcome.REFUSED, refusal) for claim in free]
                return None, outcomes
            anchor, second, *rest = free
            family = ClaimFamily.confirm(anchor, second, by=by, seen=(None,) * 4)
            outcomes += [
                BulkOutcome(claim, BulkOutcome.DONE, f"In the new family #{family.pk}.")
                for claim in (anchor, second)
            ]
            if statement.strip():
                family.edit(by=by, version=family.version, statement=statement)
        else:
            link = FamilyMembership.objects.filter(family=family).select_related("claim").first()
            anchor, rest = (link.claim if link else None), free
            if anchor is None:
                refusal = f"Family #{family.pk} has no members left: start a new family."
                outcomes += [BulkOutcome(claim, BulkOutcome.REFUSED, refusal) for claim in free]
                return family, outcomes
        expected = family.version
        for n, claim in enumerate(rest):
            try:
                family = ClaimFamily.confirm(
                    anchor, claim, by=by, seen=(family.pk, expected, None, None)
                )
            except StaleFamilyError as error:
                now = {found.pk: found for found in error.families}
                mine = now.pop(family.pk, None)
                if mine is None or mine.version != expected:
                    refusal = (
                        f"Not added: family #{family.pk} was changed by someone else meanwhile "
                        "(it is shown as it is now)."
                    )
                    outcomes += [
                        BulkOutcome(left, BulkOutcome.REFUSED, refusal) for left in rest[n:]
                    ]
                    family = mine or family
                    break
                where = ", ".join(f"#{pk}" for pk in now) or "another family"
                refusal = f"Not added: it joined family {where} meanwhile."
                outcomes.append(BulkOutcome(claim, BulkOutcome.REFUSED, refusal))
                continue
            except WorkflowError as error:
                outcomes.append(BulkOutcome(claim, BulkOutcome.REFUSED, str(error)))
                continue
            expected = family.version
            outcomes.append(BulkOutcome(claim, BulkOutcome.DONE, f"Added to family #{family.pk}."))
        return family, sorted(outcomes, key=lambda outcome: outcome.claim.pk)


class ClaimManager(models.Manager.from_queryset(ClaimQuerySet)):
    """Adds the two lookups the reader makes after every claim change. They are written in
    SQL: building the equivalent ORM queries took ten times longer than running them, on the
    path that answers every edit in the reader."""

    def _sql(self, sql: str, params: list) -> list[tuple]:
        quote = connections[self.db].ops.quote_name
        names = {
            "claim": quote(self.model._meta.db_table),
            "verdict": quote(Verdict._meta.db_table),
            "membership": quote(FamilyMembership._meta.db_table),
            "family": quote(ClaimFamily._meta.db_table),
            "end": quote("end"),  # a reserved word in SQL
            # A claim's place in reading order across the parts (``in_reading_order``).
            "part_rank": "(CASE part WHEN 'headline' THEN 0 WHEN 'standfirst' THEN 1 ELSE 2 END)",
        }
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql.format(**names), params)
            return cursor.fetchall()

    #: The article's claims in a part that cover part of [low, high): ``overlapping``.
    OVERLAPPING = (
        "SELECT c.id, c.start, c.{end}, c.state, c.verdict_id, v.label, c.statement, "
        "f.member_count, f.conflict, f.resolution "
        "FROM {claim} c LEFT JOIN {verdict} v ON v.id = c.verdict_id "
        "LEFT JOIN {membership} m ON m.claim_id = c.id "
        "LEFT JOIN {family} f ON f.id = m.family_id "
        "WHERE c.article_id = %s AND c.part = %s AND c.start < %s AND c.{end} > %s "
        "AND c.orphaned_at IS NULL"
    )

    def overlapping(
        self, article_id: int, low: int, high: int, part: str = Article.Part.BODY
    ) -> list[tuple]:
        """``(pk, start, end, state, verdict_id, verdict label, statement, family members,
        family conflict, family resolution)`` of the article's claims in ``part`` that cover
        part of ``[low, high)`` (orphans cover nothing)."""
        return self._sql(self.OVERLAPPING, [article_id, part, high, low])

    def overlapping_counted(
        self, article_id: int, low: int, high: int, part: str, *, after: tuple[int, int, int]
    ) -> tuple[list[tuple], int, int | None]:
        """``overlapping``, with how many claims the article has in its text (orphans aside)
        and the id of the one after ``after`` = (start, end, pk) in ``part`` in reading order
        (headline, standfirst, body; then start, end, id), if any: what the reader redraws
        after a claim is added or deleted, in one query (one round trip of each claim
        created; make bench-scale, "claim create POST")."""
        here = Article.Part.values.index(part)  # the Part choices are in reading order
        start, end, pk = after
        rows = self._sql(
            # The table names come from the models and every value is a parameter.
            "SELECT t.n, t.following, o.* FROM ("  # noqa: S608
            "SELECT (SELECT COUNT(*) FROM {claim} WHERE article_id = %s "
            "AND orphaned_at IS NULL) AS n, "
            "(SELECT id FROM {claim} WHERE article_id = %s AND orphaned_at IS NULL "
            "AND ({part_rank} > %s OR ({part_rank} = %s AND "
            "(start > %s OR (start = %s AND ({end} > %s OR ({end} = %s AND id > %s)))))) "
            "ORDER BY {part_rank}, start, {end}, id LIMIT 1) AS following"
            ") t LEFT JOIN (" + self.OVERLAPPING + ") o ON 1 = 1",
            [article_id, article_id, here, here, start, start, end, end, pk]
            + [article_id, part, high, low],
        )
        # One row whatever is found: the counts beside each overlapping claim, or beside nulls.
        count, following = rows[0][:2]
        return [row[2:] for row in rows if row[2] is not None], count, following


class Claim(models.Model):
    """A span of one article's body, restated as a checkable statement and given a verdict.

    The span is stored twice, as the W3C TextPositionSelector (``start``/``end`` in code points)
    and TextQuoteSelector (``quote`` with ``prefix``/``suffix``), so it can be re-found if the
    article's text changes.
    """

    class Category(models.TextChoices):
        STATISTIC = "statistic", "Statistic"
        QUOTE = "quote", "Quote"
        CAUSAL = "causal", "Causal"
        PREDICTION = "prediction", "Prediction"
        OTHER = "other", "Other"

    class ClaimantKind(models.TextChoices):
        PERSON = "Person", "A person"
        ORGANIZATION = "Organization", "An organisation"

    class State(models.TextChoices):
        TO_DO = "to_do", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        NEEDS_REVIEW = "needs_review", "Needs review"
        APPROVED = "approved", "Approved"
        SENT_BACK = "sent_back", "Sent back"
        # A claim a reviewer found not checkable (an opinion, a prediction nobody can test yet,
        # a duplicate): it never gets a verdict and is never published, and it counts as done
        # for the article's state. Any reviewer can reopen it. See ``dismiss``.
        DISMISSED = "dismissed", "Not checkable"

    # States in which a claim still needs a reviewer's work (the article is "in progress").
    WORK_STATES = (State.TO_DO, State.IN_PROGRESS, State.SENT_BACK)

    Part = Article.Part

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    part = models.CharField(
        max_length=10,
        choices=Part.choices,
        default=Part.BODY,
        help_text="Which of the article's texts the claim is in (headline, standfirst or "
        "body); its offsets count from the start of that text (Article.text_of).",
    )
    start = models.PositiveIntegerField(
        help_text="Start offset in the claim's part of the article, in code points."
    )
    end = models.PositiveIntegerField(help_text="End offset (exclusive), in code points.")
    quote = models.TextField(help_text="Exactly text_of(part)[start:end].")
    prefix = models.CharField(max_length=anchoring.CONTEXT_LENGTH, blank=True)
    suffix = models.CharField(max_length=anchoring.CONTEXT_LENGTH, blank=True)

    statement = models.TextField(
        "checkable statement", blank=True, help_text="The claim restated so it can be checked."
    )
    claimant = models.CharField(max_length=300, blank=True, help_text="Who made the claim.")
    claimant_kind = models.CharField(
        "claimant is",
        max_length=12,
        choices=ClaimantKind.choices,
        blank=True,
        help_text="Whether the claimant is a person or an organisation, as the reviewer says "
        "(ClaimReview types the claim's author with it; never guessed from the name).",
    )
    claimant_same_as = models.TextField(
        "claimant's pages",
        blank=True,
        help_text="Addresses that identify the claimant (an encyclopaedia entry, an official "
        "page), one per line: ClaimReview's sameAs.",
    )
    claim_date = models.DateField(null=True, blank=True, help_text="When the claim was made.")
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)

    state = models.CharField(max_length=20, choices=State.choices, default=State.TO_DO)
    verdict = models.ForeignKey(
        Verdict, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    verdict_explanation = models.TextField(blank=True)
    verdict_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_verdicts",
    )
    sent_back_reason = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_claims",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_claims",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approved_claims",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every save; an edit based on an older version is refused."
    )
    tags = models.JSONField(
        default=list, blank=True, help_text="Tags brought in with an imported annotation."
    )
    orphaned_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the article's text changed and the quote could not be found again. "
        "An orphan keeps its last known quote and offsets (which no longer point into the "
        "body) until a reviewer re-attaches it.",
    )
    orphan_reason = models.CharField(max_length=300, blank=True)
    canonical_iri = models.CharField(
        "canonical IRI",
        max_length=2000,
        blank=True,
        help_text="The canonical IRI a W3C annotation came with through the Web Annotation "
        "Protocol: kept unchanged, as the protocol requires, and served with the annotation.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ClaimManager()

    class Meta:
        ordering = ["article", "start", "end", "pk"]
        indexes = [
            models.Index(fields=["article", "start"]),
            models.Index(fields=["state"]),
            # Covers the dashboard's claim counts per article, state, verdict and assignee.
            models.Index(
                fields=["article", "state", "verdict", "assignee"], name="claim_dashboard_counts"
            ),
            # The dashboard's assignee filter: the articles of one person's claims, from the
            # index alone.
            models.Index(fields=["assignee", "article"], name="claim_assignee_articles"),
            # The claims table's sorts by last change and by statement read these in order.
            # With the id, the sort's tie-break: PostgreSQL reads a page in order from it
            # (SQLite's indexes end with the rowid anyway).
            models.Index(fields=["updated_at", "id"], name="claim_updated"),
            models.Index(StatementStart("statement"), name="claim_statement_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(end__gt=F("start")), name="claim_span_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("quote")), name="claim_quote_matches_span"
            ),
            models.CheckConstraint(
                condition=Q(part__in=Article.Part.values), name="claim_part_known"
            ),
        ]

    def __str__(self):
        text = self.statement or self.quote
        return text if len(text) <= 80 else text[:79] + "…"

    def save(self, *args, **kwargs):
        # New words are read again: see refresh_derived below.
        created = self._state.adding
        before = None if created else getattr(self, "_derived_inputs", None)
        # The row, its history row, its figures and its index keys are one change: one
        # transaction (one commit instead of four when no transaction is open), and no savepoint
        # inside a caller's (an import saving a thousand claims would pay two statements each).
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            now = self._current_inputs()
            if before != now:
                changed = {
                    name
                    for name, old, new in zip(
                        self.DERIVED_FROM, before or (None,) * 3, now, strict=True
                    )
                    if before is None or old != new
                }
                self.refresh_derived(changed, created=created)
        self._derived_inputs = now

    def get_absolute_url(self):
        return reverse("annotations:article-detail", args=[self.article_id]) + f"#claim-{self.pk}"

    # --- What is read from the text: figures and the cross-article index -------------------
    # One place for every path that changes a claim's words (a selection, an edit, an approved
    # change, a re-attachment, an import, the admin): a save that changes the quote, the
    # statement or the claimant reads them again (``refresh_derived``). Rows written in bulk
    # skip save(); ``manage.py extract_figures`` reads those.

    DERIVED_FROM = ("quote", "statement", "claimant")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._derived_inputs = instance._current_inputs()
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._derived_inputs = self._current_inputs()

    def _current_inputs(self) -> tuple:
        # From __dict__: a deferred field is not loaded just to be compared.
        return tuple(self.__dict__.get(name) for name in self.DERIVED_FROM)

    def refresh_derived(self, changed=DERIVED_FROM, *, created: bool = False) -> None:
        """Read the figures of the changed texts again (reviewers' corrections are kept, see
        ``ClaimFigureQuerySet.read``) and file the claim in the index again."""
        sources = [name for name in ("quote", "statement") if name in changed]
        figures, changed_figures = None, False
        if sources:
            figures, changed_figures = ClaimFigure.objects.read(self, sources, created=created)
        self.refile(figures, created=created)
        if changed_figures and not created:
            self._recheck_family()

    def _recheck_family(self) -> None:
        link = FamilyMembership.objects.filter(claim=self).select_related("family").first()
        if link is not None:
            link.family.refresh_conflict()

    def refile(self, figures=None, *, created: bool = False) -> None:
        """File the claim under its keys (``annotations.families.index_keys``)."""
        if figures is None:
            figures = [] if created else list(self.figures.all())
        ClaimKey.objects.file(self, families.index_keys(self.features(figures)), created=created)

    def figures_reviewed(self) -> None:
        """A reviewer corrected or removed one of the claim's figures."""
        self.refile()
        self._recheck_family()

    def features(self, figures) -> "families.ClaimFeatures":
        return families.features(
            self.quote, self.statement, self.claimant, [f.as_figure() for f in figures if f.in_use]
        )

    def _share_verdict_with_family(self, by, *, revised: bool = False) -> None:
        """After an approval: the verdict is proposed to the claim's family (never approved:
        ``ClaimFamily.share_verdict``). An approved change shares only a changed verdict."""
        link = FamilyMembership.objects.filter(claim=self).select_related("family").first()
        if link is None or self.verdict_id is None:
            return
        if revised:
            latest = self.revisions.approved().last()
            if latest is None or "verdict" not in latest.changes:
                return
        link.family.share_verdict(self, by=by)

    #: Candidates scored for proposals, at most (the best by shared rare keys).
    CANDIDATES = 25

    def proposals(self, limit: int | None = 5) -> list["families.Proposal"]:
        """Claims of other articles that make the same or a comparable claim, best first:
        candidates are the claims sharing the rarest of this claim's index keys (a capped
        number per key, so the work does not grow with the number of claims), then each is
        scored (``annotations.families.score``). Claims already in this claim's family and
        pairs a reviewer rejected are left out. Six queries."""
        own = self.features(list(self.figures.all()))
        shared = ClaimKey.objects.sharing(families.index_keys(own), article_id=self.article_id)
        rejected = ProposalRejection.objects.filter(Q(claim=self) | Q(other=self)).values_list(
            "claim_id", "other_id"
        )
        ranked = families.rank_candidates(
            shared,
            cap=ClaimKey.objects.CAP,
            limit=self.CANDIDATES,
            leave_out={self.pk, *(pk for pair in rejected for pk in pair)},
        )
        if not ranked:
            return []
        links = {
            claim_id: (family_id, version)
            for claim_id, family_id, version in FamilyMembership.objects.filter(
                claim_id__in=[self.pk, *ranked]
            ).values_list("claim_id", "family_id", "family__version")
        }
        mine = links.get(self.pk, (None, None))[0]
        ranked = [pk for pk in ranked if mine is None or links.get(pk, (None,))[0] != mine]
        figures = ClaimFigure.objects.by_claim(ranked)
        found = []
        candidates = (
            Claim.objects.filter(pk__in=ranked)
            .select_related("article__publisher", "verdict")
            .defer("article__body", "article__raw_text", "article__removed_lines")
        )
        for claim in candidates:
            theirs = families.features(
                claim.quote, claim.statement, claim.claimant, figures.get(claim.pk, [])
            )
            match = families.score(own, theirs)
            if match.score >= families.THRESHOLD:
                found.append(families.Proposal(claim, match, *links.get(claim.pk, (None, None))))
        found.sort(key=lambda proposal: (-proposal.match.score, proposal.claim.pk))
        return found if limit is None else found[:limit]

    def published_checks(self, figures=None, *, limit: int | None = 3) -> list["PublishedMatch"]:
        """Fact-checks other organisations published of what this claim says, best first
        (``PublishedReviewQuerySet.matching``). ``figures``: the claim's ``ClaimFigure`` rows,
        when the caller has them (else one query more)."""
        if figures is None:
            figures = list(self.figures.all())
        return PublishedReview.objects.matching(self.features(figures), limit=limit)

    def clean(self):
        super().clean()
        if self.start is None or self.end is None or not self.article_id or self.is_orphan:
            return
        if not 0 <= self.start < self.end:
            raise ValidationError("A claim must cover at least one character.", code="empty")
        text = self.article.text_of(self.part)
        if self.end > len(text):
            raise ValidationError("The claim lies outside the article's text.", code="outside")
        if self.quote != text[self.start : self.end]:
            raise ValidationError(
                "The quote does not match the article text at these offsets.", code="mismatch"
            )

    def set_span(self, selector: anchoring.TextSelector, part: str | None = None) -> None:
        """The one place a claim takes its span: position, quote and context from a selector
        (made from a selection by ``anchoring.selection``, or found by
        ``anchoring.match_quote``) in the text of ``part`` (unchanged when not given). A
        claim given a span is no longer an orphan."""
        if part is not None:
            self.part = part
        self.start, self.end = selector.start, selector.end
        self.quote, self.prefix, self.suffix = selector.exact, selector.prefix, selector.suffix
        self.orphaned_at = None
        self.orphan_reason = ""

    def anchor_to(self, article: Article, start: int, end: int, part: str = Article.Part.BODY):
        """Set the span from offsets in ``part`` of the article, deriving quote, prefix and
        suffix from that part's text."""
        self.article, self.part = article, part
        self.set_span(anchoring.selector_for(article.text_of(part), start, end))

    @property
    def text(self) -> str:
        """The text of the article part the claim's offsets count in."""
        return self.article.text_of(self.part)

    def orphan(self, reason: str) -> None:
        """The article's text no longer holds this claim's quote: keep the claim and its last
        known quote, marked with why (unsaved; the caller saves)."""
        self.orphaned_at = timezone.now()
        self.orphan_reason = reason[: self._meta.get_field("orphan_reason").max_length]

    @property
    def is_orphan(self) -> bool:
        return self.orphaned_at is not None

    def reattach(
        self,
        selector: anchoring.TextSelector,
        *,
        by,
        version: int | None,
        part: str = Article.Part.BODY,
    ) -> None:
        """Give an orphan its new place, a reviewer's selection in the current text of
        ``part`` (``anchoring.selection``). Its state and verdict stay; the history says who
        moved it and from which quote. An approved claim's new place changes what is
        published, so it is proposed in the claim's revision and taken when a second person
        approves it."""

        def change():
            if not self.is_orphan:
                raise WorkflowError("This claim has its place in the text; nothing to re-attach.")
            if self.state == self.State.APPROVED:
                # What is published would change: a second person approves the new place.
                span = {
                    "part": part,
                    "start": selector.start,
                    "end": selector.end,
                    "quote": selector.exact,
                    "prefix": selector.prefix,
                    "suffix": selector.suffix,
                }
                reason = f"Re-attached after the article's text changed (was “{self.quote[:80]}”)"
                return self._revise(by, reason, fields={"span": span})
            old_quote = self.quote
            self.set_span(selector, part)
            self._change_reason = f"Re-attached (its quote was “{old_quote[:80]}”)"
            return True

        self._save_version(version, by, change)

    # --- Review workflow ------------------------------------------------------------------
    # Every change goes through _save_version: the row is locked, its version compared with
    # the one the user's form was based on, and a new version saved (with a history record).
    # An approved claim is never changed in place: a change to it waits in a ClaimRevision
    # until an editor other than its author approves it (see ClaimRevision).

    EDITABLE_FIELDS = (
        "statement",
        "claimant",
        "claimant_kind",
        "claimant_same_as",
        "claim_date",
        "category",
        "assignee",
    )

    @retry_on_deadlock
    def _save_version(self, version: int | None, by, change):
        """Run ``change()`` on the current row if still at ``version``; save if it returns a
        true value, which is returned (a false one is returned as is, nothing saved). Run
        again from the start if the database broke a deadlock by aborting it."""
        with transaction.atomic():
            locked = list(
                Claim.objects.select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
            )
            if not locked:
                raise WorkflowError("This claim has been deleted.")
            if version is not None and locked[0] != version:
                raise StaleClaimError(Claim.objects.select_related("verdict").get(pk=self.pk))
            self.refresh_from_db()
            before = (self.state, self.assignee_id, self.verdict_proposed_by_id)
            self._change_reason = None
            result = change()
            if not result:
                return result
            self.version += 1
            self._history_user = by
            self.save()
            Notification.objects.about_claim_change(self, before=before, by=by)
        return result

    def _note_work(self, by) -> None:
        """Any change to the substance of an unapproved claim: starts work.

        A claim awaiting review that someone other than its proposer changes goes back to
        work: otherwise an editor could reshape another's proposal and approve it alone.
        (An approved claim does not get here: its changes wait in a revision.)
        """
        if self.state == self.State.NEEDS_REVIEW and self.verdict_proposed_by_id != by.pk:
            self.state = self.State.IN_PROGRESS
            self._change_reason = "Back to work: changed while awaiting review"
        elif self.state in (self.State.TO_DO, self.State.SENT_BACK):
            self.state = self.State.IN_PROGRESS

    def is_reviewable_by(self, user) -> bool:
        """Whether ``user`` may approve or send back the proposed verdict (the two-person rule)."""
        return (
            user.is_editor
            and self.state == self.State.NEEDS_REVIEW
            and self.verdict_id is not None
            and self.verdict_proposed_by_id != user.pk
        )

    def edit(self, *, by, version: int | None, reason: str = "", **changes) -> "EditResult":
        """Change the editable details; returns ``EditResult.NOTHING`` (false) when nothing
        differed. On an approved claim the details become a proposed change (``reason``
        says why) and only the assignee, which is not published, changes at once."""
        unknown = set(changes) - set(self.EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")

        def change():
            changed = False
            if self.state == self.State.APPROVED:
                if "assignee" in changes:
                    assignee = changes["assignee"]
                    if getattr(assignee, "pk", None) != self.assignee_id:
                        self.assignee = assignee
                        changed = True
                details = {name: value for name, value in changes.items() if name != "assignee"}
                if self._revise(by, reason, fields=details):
                    return EditResult.PROPOSED
                return EditResult.SAVED if changed else EditResult.NOTHING
            for name, value in changes.items():
                if getattr(self, name) != value:
                    setattr(self, name, value)
                    changed = True
            if changed:
                self._note_work(by)
            return EditResult.SAVED if changed else EditResult.NOTHING

        return self._save_version(version, by, change)

    def propose_verdict(
        self, *, by, version: int | None, verdict: Verdict, explanation: str = "", reason=""
    ) -> "EditResult":
        """Propose a verdict; the claim then waits for another editor's review. For an
        approved claim the new verdict is a proposed change (``reason`` says why)."""
        if not verdict.is_active:
            raise WorkflowError(
                f"“{verdict.label}” is no longer in use; choose a verdict from the current list."
            )

        def change():
            if self.state == self.State.APPROVED:
                fields = {"verdict": verdict, "verdict_explanation": explanation.strip()}
                return EditResult.PROPOSED if self._revise(by, reason, fields=fields) else None
            self._note_work(by)
            self.verdict = verdict
            self.verdict_explanation = explanation.strip()
            self.verdict_proposed_by = by
            self.sent_back_reason = ""
            self.state = self.State.NEEDS_REVIEW
            return EditResult.SAVED

        return self._save_version(version, by, change) or EditResult.NOTHING

    def approval_blocker(self, user, *, cited: bool | None = None) -> str | None:
        """Why ``user`` cannot approve the proposed verdict now, or None when they can: the
        one statement of the rules, which ``approve`` enforces and the panel shows beside its
        disabled Approve button. ``cited`` (whether a source is cited) spares a query to a
        caller that has the citations at hand."""
        if not user.is_editor:
            return "Only an editor can approve a verdict."
        if self.state != self.State.NEEDS_REVIEW or self.verdict_id is None:
            return "Only a proposed verdict that awaits review can be approved."
        if self.verdict_proposed_by_id == user.pk:
            return "You proposed this verdict: a second editor has to approve it."
        if not (self.citations.exists() if cited is None else cited):
            return "Cite at least one source before the verdict is approved."
        return None

    def approve(self, *, by, version: int | None):
        """Approve the proposed verdict: editors only, never one's own, with evidence."""

        def change():
            refusal = self.approval_blocker(by)
            if refusal:
                raise WorkflowError(refusal)
            self.state = self.State.APPROVED
            self.approved_by = by
            self.approved_at = timezone.now()
            return True

        self._save_version(version, by, change)
        self._share_verdict_with_family(by)

    def send_back(self, *, by, version: int | None, reason: str):
        """Return a proposed verdict to the reviewers, saying why. An approved claim is not
        sent back by one person: a change to it (a different verdict) is proposed and approved
        by a second."""
        reason = (reason or "").strip()
        if not reason:
            raise WorkflowError("Say why the claim is sent back.")

        def change():
            if not by.is_editor:
                raise WorkflowError("Only an editor can send a claim back.")
            if self.state == self.State.APPROVED:
                raise WorkflowError(
                    "An approved claim stays published until a change to it is approved: "
                    "propose the change (a different verdict, say) for a second editor to approve."
                )
            if self.state != self.State.NEEDS_REVIEW:
                raise WorkflowError("Only a claim with a proposed verdict can be sent back.")
            self.state = self.State.SENT_BACK
            self.sent_back_reason = reason
            self.approved_by = None
            self.approved_at = None
            return True

        self._save_version(version, by, change)

    def dismiss(self, *, by, version: int | None, reason: str) -> None:
        """Mark the claim not checkable, saying why (kept as a comment in its discussion and
        in its history). It is then done for the article's state, and never published. An
        approved claim is published work: a change to it goes through a second person."""
        reason = (reason or "").strip()
        if not reason:
            raise WorkflowError("Say why the claim cannot be checked: the reason is kept.")

        def change():
            if not by.is_reviewer:
                raise WorkflowError("Only a reviewer can mark a claim not checkable.")
            if self.state == self.State.APPROVED:
                raise WorkflowError(
                    "An approved claim is not dismissed by one person: propose a change to it "
                    "for a second editor to approve."
                )
            if self.state == self.State.DISMISSED:
                raise WorkflowError("This claim is already marked not checkable.")
            self.state = self.State.DISMISSED
            self._change_reason = f"Marked not checkable: {reason}"
            comment = Comment(claim=self, author=by, body=f"Marked not checkable: {reason}")
            comment._history_user = by
            comment.save()
            return True

        self._save_version(version, by, change)

    def reopen(self, *, by, version: int | None) -> None:
        """Take a claim marked not checkable back into work (any reviewer)."""

        def change():
            if not by.is_reviewer:
                raise WorkflowError("Only a reviewer can reopen a claim.")
            if self.state != self.State.DISMISSED:
                raise WorkflowError("Only a claim marked not checkable can be reopened.")
            self.state = self.State.IN_PROGRESS
            self._change_reason = "Reopened: checkable after all"
            return True

        self._save_version(version, by, change)

    def last_change(self):
        """The claim's newest history record (who saved it last, and when)."""
        return self.history.select_related("history_user").order_by("-history_date").first()

    def add_comment(self, *, by, body: str) -> "Comment":
        """Add to the claim's discussion; the people it mentions and those who work on the
        claim are notified."""
        with transaction.atomic():
            comment = Comment.objects.create(claim=self, author=by, body=body)
            Notification.objects.about_comment(comment)
        return comment

    def add_citation(
        self, *, by, version: int | None, source: Source, reason: str = "", **fields
    ) -> "Citation | ProposedCitation":
        """Cite a source. On an approved claim the citation is a proposed change (it would
        change what the report shows) and a ``ProposedCitation`` is returned; a new source
        described in the same form joins the library at once either way."""
        created = []
        new_source = source.pk is None  # a new source, described in the same form

        def change():
            created.clear()  # run again after a deadlock: only this run's counts
            if new_source:
                # Inserted by this run (a run rolled back left its id on the object).
                source.pk, source._state.adding = None, True
                source._history_user = by
                source.save()
            if self.state == self.State.APPROVED:
                created.append(self._revise(by, reason, cite=(source, fields)))
                return EditResult.PROPOSED
            citation = Citation(claim=self, source=source, created_by=by, **fields)
            citation._history_user = by
            citation.save()
            created.append(citation)
            self._note_work(by)
            return EditResult.SAVED

        self._save_version(version, by, change)
        return created[0]

    def remove_citation(
        self, citation: "Citation", *, by, version: int | None, reason: str = ""
    ) -> "EditResult":
        """Remove a citation; from an approved claim, propose its removal."""
        if citation.claim_id != self.pk:
            raise WorkflowError("That citation belongs to another claim.")
        citation_id = citation.pk

        def change():
            # Read in the transaction (one rolled back by a deadlock left the object without
            # its id).
            stored = self.citations.filter(pk=citation_id).first()
            if stored is None:
                raise WorkflowError("That citation has been removed meanwhile.")
            if self.state == self.State.APPROVED:
                return EditResult.PROPOSED if self._revise(by, reason, uncite=stored) else None
            stored._history_user = by
            stored.delete()
            self._note_work(by)
            return EditResult.SAVED

        return self._save_version(version, by, change) or EditResult.NOTHING

    def delete_version(self, *, by, version: int | None):
        """Delete the claim unless someone changed it meanwhile; history keeps a record."""
        with transaction.atomic():
            current = Claim.objects.select_for_update().filter(pk=self.pk).first()
            if current is None:
                return
            if version is not None and current.version != version:
                raise StaleClaimError(current)
            if current.state == self.State.APPROVED and not by.is_editor:
                raise WorkflowError("An approved claim is published: only an editor can delete it.")
            if PublishedClaim.objects.filter(
                claim=current, claim__article__publication__in=Article.LIVE
            ).exists():
                raise WorkflowError(
                    "This claim is on a published fact-check: a change to it is a correction "
                    "(propose it), or the article is withdrawn first."
                )
            self._history_user = by
            self.delete()

    # --- Changes to an approved claim -----------------------------------------------------

    def pending_revision(self) -> "ClaimRevision | None":
        """The change to this approved claim that awaits approval, with its author and the
        sources it would cite (two queries; none for a claim that is not approved)."""
        if self.state != self.State.APPROVED or self.pk is None:
            return None
        return (
            self.revisions.pending()
            .select_related("proposed_by")
            .prefetch_related(
                models.Prefetch(
                    "added_citations", ProposedCitation.objects.select_related("source")
                )
            )
            .first()
        )

    def revised_value(self, name: str):
        """The approved value of a field a revision can change, in the revision's JSON form."""
        if name == "verdict":
            return self.verdict_id
        if name == "claim_date":
            return self.claim_date.isoformat() if self.claim_date else None
        if name == "span":
            return {
                "part": self.part,
                "start": self.start,
                "end": self.end,
                "quote": self.quote,
                "prefix": self.prefix,
                "suffix": self.suffix,
            }
        return getattr(self, name)

    def _take_revised(self, name: str, value) -> None:
        if name == "span":
            # A place proposed before claims had parts is in the body.
            part = value.get("part", Article.Part.BODY)
            if self.article.text_of(part)[value["start"] : value["end"]] != value["quote"]:
                raise WorkflowError(
                    "The article's text changed since this place was proposed: send the change "
                    "back and re-attach the claim again."
                )
            self.set_span(
                anchoring.TextSelector(
                    start=value["start"],
                    end=value["end"],
                    exact=value["quote"],
                    prefix=value["prefix"],
                    suffix=value["suffix"],
                ),
                part,
            )
        elif name == "verdict":
            if value is not None and not Verdict.objects.filter(pk=value).exists():
                raise WorkflowError("The proposed verdict no longer exists: send the change back.")
            self.verdict_id = value
        elif name == "claim_date":
            self.claim_date = datetime.date.fromisoformat(value) if value else None
        else:
            setattr(self, name, value)

    def _revise(self, by, reason: str, *, fields=None, cite=None, uncite=None):
        """Record a change of this approved claim in its pending revision (made if needed)
        instead of on the claim. Runs inside ``_save_version`` (the claim's row is locked, so
        the revision is too). ``fields`` are the values the user wants, ``cite`` a
        ``(source, citation fields)`` pair to add, ``uncite`` a citation to remove.

        Returns what changed (the ``ProposedCitation`` for ``cite``), or None when nothing
        differs. Only the revision's author adds to it; a value back at its approved one
        leaves the proposal, and a proposal left empty is withdrawn.
        """
        reason = (reason or "").strip()
        revision = self.revisions.pending().select_related("proposed_by").first()
        wanted = {name: ClaimRevision.json_value(name, v) for name, v in (fields or {}).items()}
        differs = {name for name, value in wanted.items() if value != self.revised_value(name)}
        if revision is not None and revision.proposed_by_id != by.pk:
            if not (differs or cite or uncite):
                return None
            raise WorkflowError(
                f"{revision.proposer_name} proposed a change to this approved claim that awaits "
                "review: it has to be approved, sent back or withdrawn before another change "
                "is proposed. Say what you would change in the discussion meanwhile."
            )
        proposed = dict(revision.changes) if revision else {}
        for name, value in wanted.items():
            if name in differs:
                proposed[name] = value
            else:
                proposed.pop(name, None)
        removed = list(revision.removed_citations) if revision else []
        if uncite is not None and all(item["id"] != uncite.pk for item in removed):
            removed.append(
                {
                    "id": uncite.pk,
                    "source": uncite.source_id,
                    "title": uncite.source.title,
                    "relation": uncite.relation,
                }
            )
        if revision is None:
            if not (proposed or removed or cite):
                return None
            if not reason:
                raise WorkflowError(
                    "Say why the approved claim should change: the reason is kept with the "
                    "change and shown once it is approved."
                )
            revision = ClaimRevision(claim=self, proposed_by=by, base_version=self.version)
        elif (
            proposed == revision.changes
            and removed == revision.removed_citations
            and not cite
            and reason in ("", revision.reason)
        ):
            return None
        revision.changes, revision.removed_citations = proposed, removed
        revision.reason = reason or revision.reason
        revision._history_user = by
        if not (proposed or removed or cite or revision.added_citations.exists()):
            revision.close(ClaimRevision.State.WITHDRAWN, by=by, reason="Nothing left to change.")
            self._change_reason = f"Withdrew change #{revision.pk}: nothing left to change"
            return revision
        revision.save()
        self._change_reason = f"Proposed change #{revision.pk} to the approved claim"
        if cite is None:
            return revision
        source, citation_fields = cite
        added = ProposedCitation(revision=revision, source=source, **citation_fields)
        added._history_user = by
        added.save()
        return added

    def approve_revision(self, *, by, version: int | None) -> None:
        """Apply the pending change: an editor other than its author approves it, and the
        claim stays approved with the new values (``approved_by`` is now this editor; the
        revision keeps who proposed it, who approved it, when, and the values it replaced)."""

        def change():
            if not by.is_editor:
                raise WorkflowError("Only an editor can approve a change to an approved claim.")
            revision = self.revisions.pending().select_related("proposed_by").first()
            if revision is None or self.state != self.State.APPROVED:
                raise WorkflowError("No change to this claim awaits approval.")
            if revision.proposed_by_id == by.pk:
                raise WorkflowError("You proposed this change: a second editor has to approve it.")
            previous = {}
            for name, value in revision.changes.items():
                previous[name] = self.revised_value(name)
                self._take_revised(name, value)
            if "verdict" in revision.changes or "verdict_explanation" in revision.changes:
                self.verdict_proposed_by_id = revision.proposed_by_id
            why = f"Change #{revision.pk} approved"
            for proposed in revision.added_citations.all():
                citation = proposed.as_citation(self, created_by_id=revision.proposed_by_id)
                citation._history_user, citation._change_reason = by, why
                citation.save()
            removed_ids = [item["id"] for item in revision.removed_citations]
            for citation in self.citations.filter(pk__in=removed_ids):
                citation._history_user, citation._change_reason = by, why
                citation.delete()
            if not self.citations.exists():
                raise WorkflowError(
                    "An approved claim needs at least one cited source, and this change would "
                    "leave none: send it back, or have a source cited in it first."
                )
            revision.previous = previous
            revision.close(ClaimRevision.State.APPROVED, by=by)
            self.article.note_correction(revision)  # a published fact-check is now updated
            self.approved_by = by
            self.approved_at = revision.decided_at
            self._change_reason = (
                f"Approved change #{revision.pk} proposed by {revision.proposer_name}: "
                f"{revision.reason}"
            )
            return True

        self._save_version(version, by, change)
        self._share_verdict_with_family(by, revised=True)

    def send_back_revision(self, *, by, version: int | None, reason: str) -> None:
        """Refuse the pending change, saying why; the claim stays as approved."""
        reason = (reason or "").strip()
        if not reason:
            raise WorkflowError("Say why the change is sent back.")

        def change():
            if not by.is_editor:
                raise WorkflowError("Only an editor can send a change back.")
            revision = self.revisions.pending().first()
            if revision is None:
                raise WorkflowError("No change to this claim awaits approval.")
            if revision.proposed_by_id == by.pk:
                raise WorkflowError("You proposed this change: withdraw it instead.")
            revision.close(ClaimRevision.State.SENT_BACK, by=by, reason=reason)
            self._change_reason = f"Sent back change #{revision.pk}: {reason}"
            return True

        self._save_version(version, by, change)

    def withdraw_revision(self, *, by, version: int | None) -> None:
        """The author takes back their pending change; the claim stays as approved."""

        def change():
            revision = self.revisions.pending().select_related("proposed_by").first()
            if revision is None:
                raise WorkflowError("No change to this claim awaits approval.")
            if revision.proposed_by_id != by.pk:
                raise WorkflowError(
                    f"Only {revision.proposer_name} can withdraw this change; an editor can "
                    "send it back."
                )
            revision.close(ClaimRevision.State.WITHDRAWN, by=by, reason="Withdrawn by its author.")
            self._change_reason = f"Withdrew change #{revision.pk}"
            return True

        self._save_version(version, by, change)


class Citation(models.Model):
    """A claim's link to a source, with the passage of the source that matters."""

    class Relation(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        CONTRADICTS = "contradicts", "Contradicts"
        CONTEXT = "context", "Gives context"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    relation = models.CharField(max_length=20, choices=Relation.choices, default=Relation.SUPPORTS)
    quote = models.TextField(blank=True, help_text="The passage of the source that matters.")
    locator = models.CharField(
        max_length=200, blank=True, help_text="Page, section, table or timestamp in the source."
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "created_at", "pk"]
        indexes = [
            # A source's page lists its citations newest first, a page at a time: read from
            # this index, not all of a much-cited source's citations sorted (make bench-scale).
            models.Index(fields=["source", "-created_at", "-id"], name="citation_source_recent"),
            # How many claims cite a source (``SourceQuerySet.with_usage``), counted from this
            # index alone.
            models.Index(fields=["source", "claim"], name="citation_source_claim"),
            # The admin's list of every citation, newest first, a page at a time.
            models.Index(fields=["-created_at", "-id"], name="citation_newest_first"),
        ]

    def __str__(self):
        return f"{self.get_relation_display()}: {self.source}"


class SourceTally(models.Model):
    """How many claims cite one source, kept by database triggers as citations and claims
    change (``annotations/source_tallies.py``): what a source's usage line, the source list
    and the admin's source list read (``SourceQuerySet.with_usage``) instead of counting the
    citations and their claims' states. Made by a trigger with the source; never written by
    the app."""

    source = models.OneToOneField(
        Source, primary_key=True, on_delete=models.CASCADE, related_name="tally"
    )
    claims = models.IntegerField(
        default=0, help_text="The claims citing the source (a claim citing it twice: once)."
    )
    approved_verdicts = models.IntegerField(
        default=0, help_text="The claims citing the source that are approved with a verdict."
    )

    def __str__(self):
        return f"{self.source_id}: {self.claims} claims, {self.approved_verdicts} approved"


class ClaimRevisionQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=ClaimRevision.State.PENDING)

    def approved(self):
        """Changes made to approved claims, oldest first: the record a corrections log lists
        (when: ``decided_at``; who: ``proposed_by`` and ``decided_by``; why: ``reason``;
        what: ``previous`` → ``changes``, ``added_citations``, ``removed_citations``)."""
        return self.filter(state=ClaimRevision.State.APPROVED).order_by("decided_at", "pk")


class ClaimRevision(models.Model):
    """A change proposed to an approved claim, waiting for a second person.

    The rule (issue 12): an approved claim is published, and it stays approved and published
    exactly as it was approved (text, verdict, explanation, citations) until a change to it is
    approved by an editor other than the person who proposed it. One person can therefore
    neither change nor unpublish what two people approved.

    So the ``Claim`` and its ``Citation`` rows always hold the approved values (what exports,
    the reader and the report show), and a change waits here:

    - ``changes``: the proposed values by field name (``REVISED_FIELDS``; a date in ISO form,
      the verdict by id). The assignee is not among them: who works on a claim is not
      published, so it changes at once.
    - ``added_citations`` (``ProposedCitation``): sources to cite. New evidence is part of the
      change too, since it changes what the report shows (a source that contradicts, the words
      quoted from it); a new source described in the panel joins the library at once.
    - ``removed_citations``: citations to remove, as they were described when proposed.

    A claim has at most one pending revision, and only its author adds to it: every change
    raises the claim's version, so the editor approves exactly the proposal they saw. The
    author may withdraw it; an editor other than the author approves it (it is applied in one
    transaction, the replaced values kept in ``previous``) or sends it back with a reason.

    Decided revisions are kept, never deleted: with ``reason``, ``decided_at`` and
    ``decided_by`` they are the dated record of every change to a published verdict that a
    corrections log shows (``ClaimRevision.objects.approved()``).
    """

    REVISED_FIELDS = (
        "statement",
        "claimant",
        "claimant_kind",
        "claimant_same_as",
        "claim_date",
        "category",
        "verdict",
        "verdict_explanation",
        # Not a column: the claim's place in the text (start, end, quote, prefix, suffix),
        # proposed when an approved orphan is re-attached.
        "span",
    )

    class State(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        APPROVED = "approved", "Approved"
        SENT_BACK = "sent_back", "Sent back"
        WITHDRAWN = "withdrawn", "Withdrawn"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="revisions")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    changes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Proposed values by field name (dates as YYYY-MM-DD, the verdict by id).",
    )
    removed_citations = models.JSONField(
        default=list,
        blank=True,
        help_text="Citations to remove: id, source id, source title and relation of each.",
    )
    previous = models.JSONField(
        default=dict,
        blank=True,
        help_text="The approved values that the change replaced, recorded when it is approved.",
    )
    reason = models.TextField(
        help_text="Why the approved claim should change, from the person proposing it."
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="proposed_revisions",
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    base_version = models.PositiveIntegerField(
        help_text="The claim's version when the change was first proposed."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decided_revisions",
        help_text="Who approved it, sent it back or withdrew it.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, help_text="Why it was sent back or withdrawn.")

    history = HistoricalRecords()
    objects = ClaimRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(state="pending"),
                name="claim_revision_one_pending_per_claim",
            ),
            models.CheckConstraint(
                condition=Q(state="pending", decided_at__isnull=True)
                | (~Q(state="pending") & Q(decided_at__isnull=False)),
                name="claim_revision_decided_when_closed",
            ),
        ]

    def __str__(self):
        return f"Change #{self.pk} to claim {self.claim_id} ({self.get_state_display()})"

    @property
    def proposer_name(self) -> str:
        return self.proposed_by.username if self.proposed_by else "Someone (since removed)"

    @classmethod
    def json_value(cls, name: str, value):
        """A field's value as ``changes`` stores it."""
        if name not in cls.REVISED_FIELDS:
            raise ValueError(f"not revisable: {name}")
        if name == "verdict":
            return getattr(value, "pk", value)
        if name == "claim_date":
            return value.isoformat() if value else None
        return value

    def close(self, state: str, *, by, reason: str = "") -> None:
        self.state = state
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_reason = reason
        self._history_user = by
        self.save()

    def rows(self, claim: Claim) -> list[dict]:
        """What the change would change, for people: field, approved value, proposed value."""
        names = [name for name in self.REVISED_FIELDS if name in self.changes]
        verdicts = {}
        if "verdict" in self.changes:
            ids = {self.changes["verdict"], claim.verdict_id} - {None}
            verdicts = dict(Verdict.objects.filter(pk__in=ids).values_list("pk", "label"))
        labels = {f.name: f.verbose_name for f in Claim._meta.fields} | {
            "span": "place in the text"
        }

        def shown(name, value):
            if value in (None, ""):
                return "—"
            if name == "span":
                return f"“{value['quote']}” (characters {value['start']}–{value['end']})"
            if name == "verdict":
                return verdicts.get(value, f"verdict #{value} (since deleted)")
            if name == "category":
                return dict(Claim.Category.choices).get(value, value)
            if name == "claim_date":
                date = datetime.date.fromisoformat(value)
                return f"{date.day} {date:%b %Y}"
            return str(value)

        return [
            {
                "label": str(labels[name]).capitalize(),
                "approved": shown(name, claim.revised_value(name)),
                "proposed": shown(name, self.changes[name]),
            }
            for name in names
        ]


class ProposedCitation(models.Model):
    """A citation that a pending ``ClaimRevision`` adds to an approved claim: it becomes a
    ``Citation`` when the change is approved, and stays here as the record of it."""

    revision = models.ForeignKey(
        ClaimRevision, on_delete=models.CASCADE, related_name="added_citations"
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="proposed_citations")
    relation = models.CharField(
        max_length=20, choices=Citation.Relation.choices, default=Citation.Relation.SUPPORTS
    )
    quote = models.TextField(blank=True, help_text="The passage of the source that matters.")
    locator = models.CharField(
        max_length=200, blank=True, help_text="Page, section, table or timestamp in the source."
    )
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["revision", "pk"]

    def __str__(self):
        return f"{self.get_relation_display()}: {self.source} (proposed)"

    def as_citation(self, claim: Claim, **fields) -> Citation:
        return Citation(
            claim=claim,
            source=self.source,
            relation=self.relation,
            quote=self.quote,
            locator=self.locator,
            note=self.note,
            **fields,
        )


class Comment(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="comments"
    )
    body = models.TextField(help_text="Plain text; line breaks are kept.")
    created_at = models.DateTimeField(default=timezone.now)

    # Kept when the claim is deleted, like the claim itself.
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Comment by {self.author} on claim {self.claim_id}"


# --- Figures read from claims -----------------------------------------------------------------


class StaleFigureError(WorkflowError):
    """Someone else changed the figure since the form was loaded; ``current`` holds it."""

    def __init__(self, current: "ClaimFigure"):
        self.current = current
        super().__init__(
            "Someone else changed this figure while you were correcting it; nothing was changed. "
            "Their version is shown: check it and correct it again."
        )


def _locate(text: str, words: str, near: int) -> int | None:
    """Where ``words`` stand in ``text``: the occurrence nearest to ``near``, or None."""
    if not words:
        return None
    found, best = text.find(words), None
    while found != -1:
        if best is None or abs(found - near) < abs(best - near):
            best = found
        found = text.find(words, found + 1)
    return best


class ClaimFigureQuerySet(models.QuerySet):
    def in_use(self):
        """The figures comparisons may use: readable, not removed by a reviewer, and still
        standing in the claim's text. An unreadable figure is shown, never compared."""
        return self.filter(readable=True, detached=False).exclude(status=ClaimFigure.Status.REMOVED)

    def by_claim(self, claim_ids) -> dict[int, list[Figure]]:
        """The figures in use of these claims, as ``Figure`` objects (read as rows: proposals
        score dozens of claims and need no model instances)."""
        found: dict[int, list[Figure]] = {}
        names = ("text", "start", "end", "value", "low", "high", "unit", "counted", "period")
        names += ("direction", "kind", "readable", "qualifier")
        for claim_id, *values in (
            self.in_use().filter(claim_id__in=claim_ids).values_list("claim_id", *names)
        ):
            row = dict(zip(names, values, strict=True))
            for name in ("counted", "period", "direction", "qualifier"):
                row[name] = row[name] or None
            found.setdefault(claim_id, []).append(Figure(**row))
        return found

    def read(self, claim: "Claim", sources, *, created: bool = False):
        """Read the figures of ``claim``'s texts named in ``sources`` ("quote", "statement")
        again and store them. Returns the claim's figures afterwards and whether they changed.

        Figures the reader found replace the ones it found before. Figures a reviewer corrected
        or removed are never replaced: they are found again in the new text (their words, the
        occurrence nearest to where they stood) and the reader skips those words; a reviewer's
        figure whose words are gone is kept and marked ``detached`` for the reviewer to check,
        and is not compared meanwhile. Writes nothing when nothing changed.
        """
        existing = [] if created else list(self.filter(claim=claim))
        moved, replaced, fresh = self._plan(claim, existing, sources)
        fresh = self._write(moved, replaced, fresh)
        if not (moved or replaced or fresh):
            return existing, False
        gone = {f.pk for f in replaced}
        kept = [f for f in existing if f.pk not in gone]
        return sorted(kept + fresh, key=ClaimFigure.position), True

    def read_many(self, claims) -> int:
        """``read`` for a batch of claims (their quote and statement loaded), in four queries
        whatever the batch's size; returns how many of them changed."""
        claims = list(claims)
        existing = {}
        for figure in self.filter(claim__in=claims):
            existing.setdefault(figure.claim_id, []).append(figure)
        moved, replaced, fresh, changed = [], [], [], 0
        for claim in claims:
            plan = self._plan(claim, existing.get(claim.pk, []), ClaimFigure.Source.values)
            changed += any(plan)
            for into, part in zip((moved, replaced, fresh), plan, strict=True):
                into.extend(part)
        self._write(moved, replaced, fresh)
        return changed

    def _plan(self, claim, existing, sources):
        """(reviewer figures that moved, reader figures to replace, new reader figures)."""
        mine = [f for f in existing if f.status == ClaimFigure.Status.EXTRACTED]
        reviewed = [f for f in existing if f.status != ClaimFigure.Status.EXTRACTED]
        replaced = [f for f in mine if f.source in sources]
        fresh, moved = [], []
        for source in sources:
            text = claim.quote if source == ClaimFigure.Source.QUOTE else claim.statement
            taken = []
            for figure in reviewed:
                if figure.source != source:
                    continue
                where = _locate(text, figure.text, figure.start)
                place = (
                    (figure.start, figure.end, True)
                    if where is None
                    else (where, where + len(figure.text), False)
                )
                if place != (figure.start, figure.end, figure.detached):
                    figure.start, figure.end, figure.detached = place
                    moved.append(figure)
                if where is not None:
                    taken.append((figure.start, figure.end))
            for read in extract_figures(text or ""):
                if not any(read.start < end and start < read.end for start, end in taken):
                    fresh.append(ClaimFigure.from_figure(claim, source, read))
        if [f.reading() for f in replaced] == [f.reading() for f in fresh]:
            replaced, fresh = [], []
        return moved, replaced, fresh

    def _write(self, moved, replaced, fresh) -> list["ClaimFigure"]:
        if moved:
            self.bulk_update(moved, ["start", "end", "detached"])
        if replaced:
            self.filter(pk__in=[f.pk for f in replaced]).delete()
        return self.bulk_create(fresh) if fresh else []


class ClaimFigure(models.Model):
    """A quantity stated in a claim's quote or statement, as ``annotations.figures`` read it
    (normalised so that figures compare across articles), or as a reviewer corrected it.

    The reader's figures are replaced whenever the claim's words change. A reviewer's
    correction or removal is never replaced silently: it is kept, and marked ``detached`` if
    its words leave the text. What the reader first read is kept in ``extracted``.
    """

    class Source(models.TextChoices):
        QUOTE = "quote", "Quote"
        STATEMENT = "statement", "Checkable statement"

    class Status(models.TextChoices):
        EXTRACTED = "extracted", "As read"
        CORRECTED = "corrected", "Corrected by a reviewer"
        REMOVED = "removed", "Removed by a reviewer"

    class Kind(models.TextChoices):
        COUNT = "count", "Count"
        AMOUNT = "amount", "Amount (money, measure)"
        PERCENT = "percent", "Share (per cent)"
        RATIO = "ratio", "Ratio (1 in 10)"
        MULTIPLIER = "multiplier", "Multiplier (doubled)"
        CHANGE = "change", "Change (up 20%)"

    class Direction(models.TextChoices):
        NONE = "", "—"
        UP = "up", "Up"
        DOWN = "down", "Down"
        SAME = "same", "Unchanged"

    UNITS = [
        ("count", "count"),
        ("%", "%"),
        ("pp", "percentage points"),
        ("ratio", "ratio"),
        ("times", "times"),
        ("£", "£"),
        ("$", "$"),
        ("€", "€"),
        ("p", "pence"),
        ("mm", "mm"),
        ("cm", "cm"),
        ("m", "m"),
        ("km", "km"),
        ("mile", "miles"),
        ("kg", "kg"),
        ("tonne", "tonnes"),
        ("litre", "litres"),
        ("mph", "mph"),
        ("km/h", "km/h"),
        ("°C", "°C"),
    ]
    QUALIFIERS = [
        ("", "—"),
        ("about", "about"),
        ("almost", "almost"),
        ("at least", "at least"),
        ("more than", "more than"),
        ("fewer than", "fewer than"),
        ("up to", "up to"),
        ("as few as", "as few as"),
        ("average", "on average"),
        ("only", "only"),
    ]
    # The fields a reading (the extractor's or a reviewer's) gives.
    READING = (
        "value",
        "low",
        "high",
        "unit",
        "kind",
        "counted",
        "period",
        "direction",
        "qualifier",
        "readable",
    )

    claim = models.ForeignKey("Claim", on_delete=models.CASCADE, related_name="figures")
    source = models.CharField(
        max_length=10, choices=Source.choices, help_text="Which of the claim's texts it is in."
    )
    start = models.PositiveIntegerField(help_text="Offset in that text, in code points.")
    end = models.PositiveIntegerField()
    text = models.CharField(
        max_length=300, editable=False, help_text="The figure exactly as written there."
    )
    value = models.FloatField(
        null=True,
        blank=True,
        help_text="Empty for a range (see low and high) or an unreadable figure.",
    )
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=20, choices=UNITS, default="count")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COUNT)
    counted = models.CharField(
        max_length=100,
        blank=True,
        help_text="What is counted, singular, after synonyms (person, offender, image).",
    )
    period = models.CharField(
        max_length=100, blank=True, help_text="A rate (per month), a year (2019) or both."
    )
    direction = models.CharField(
        max_length=10, choices=Direction.choices, blank=True, default=Direction.NONE
    )
    qualifier = models.CharField(max_length=20, choices=QUALIFIERS, blank=True, default="")
    readable = models.BooleanField(
        default=True,
        help_text="False when the words look like a number that cannot be read for sure "
        "(“tens of thousands”): kept as text, never compared until a reviewer corrects it.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.EXTRACTED)
    detached = models.BooleanField(
        default=False,
        help_text="A reviewer's figure whose words are no longer in the claim's text: kept, "
        "not compared, for the reviewer to check.",
    )
    extracted = models.JSONField(
        default=dict, blank=True, help_text="What the reader first read, kept on correction."
    )
    note = models.TextField(blank=True, help_text="Why a reviewer corrected or removed it.")
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrected_figures",
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every correction; one based on an older one is refused."
    )

    objects = ClaimFigureQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "source", "start", "pk"]
        indexes = [
            models.Index(fields=["claim", "source"]),
            # The claims table sorted by figure value reads the figures in value order.
            models.Index(Coalesce("value", "low"), "claim", name="claim_figure_value"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="claim_figure_span_in_order"
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="claim_figure_low_not_above_high",
            ),
        ]

    def __str__(self):
        return f"{self.text} ({self.counted or self.unit})"

    @classmethod
    def from_figure(cls, claim: "Claim", source: str, figure) -> "ClaimFigure":
        """An unsaved row from an ``annotations.figures.Figure``."""
        return cls(
            claim=claim,
            source=source,
            start=figure.start,
            end=figure.end,
            text=figure.text[: cls._meta.get_field("text").max_length],
            value=figure.value,
            low=figure.low,
            high=figure.high,
            unit=figure.unit,
            kind=figure.kind,
            counted=(figure.counted or "")[:100],
            period=(figure.period or "")[:100],
            direction=figure.direction or "",
            qualifier=figure.qualifier or "",
            readable=figure.readable,
        )

    def reading(self) -> tuple:
        """Where it is and what it says: two equal readings need no write."""
        return (self.source, self.start, self.end, self.text) + tuple(
            getattr(self, name) for name in self.READING
        )

    def position(self) -> tuple:
        return (self.source != self.Source.QUOTE, self.start, self.pk or 0)

    @property
    def what_it_says(self) -> tuple:
        """Its reading without its place: a claim's quote and statement that carry the same
        figure (the statement restating the quote) say the same thing, one figure to people."""
        return tuple(getattr(self, name) for name in self.READING)

    def as_figure(self):
        """The ``annotations.figures.Figure`` it stands for, for ``figures_comparable`` and
        ``figures_conflict``."""
        return Figure(
            text=self.text,
            start=self.start,
            end=self.end,
            value=self.value,
            low=self.low,
            high=self.high,
            unit=self.unit,
            counted=self.counted or None,
            period=self.period or None,
            direction=self.direction or None,
            kind=self.kind,
            readable=self.readable,
            qualifier=self.qualifier or None,
        )

    @staticmethod
    def number(value: float | None) -> str:
        """A value as people write it: 300,000 · 1.5 · 0.33."""
        if value is None:
            return "?"
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")

    @property
    def shown_value(self) -> str:
        """The value with its unit, for people: "300,000", "550,000–850,000", "up 700%",
        "×2", "£5,000,000", "1 in 10" as 0.1 ratio. An unreadable figure shows its words."""
        if not self.readable:
            return f"“{self.text}” (unreadable)"
        if self.is_range:
            number = f"{self.number(self.low)}–{self.number(self.high)}"
        else:
            number = self.number(self.value)
        if self.unit in {"£", "$", "€"}:
            number = f"{self.unit}{number}"
        elif self.unit == "times":
            number = f"×{number}"
        elif self.unit in {"%", "pp"}:
            number = f"{number}{'%' if self.unit == '%' else ' points'}"
        elif self.unit not in {"count", "ratio"}:
            number = f"{number} {self.unit}"
        if self.direction in {"up", "down"}:
            number = f"{self.direction} {number}"
        return number

    @property
    def description(self) -> str:
        """What it says in words: "at least 300,000 offender, last year"."""
        parts = [f"{self.qualifier} {self.shown_value}" if self.qualifier else self.shown_value]
        if self.counted:
            parts.append(self.counted)
        text = " ".join(parts)
        return f"{text}, {self.period}" if self.period else text

    @property
    def is_range(self) -> bool:
        return self.value is None and self.low is not None and self.high is not None

    @property
    def in_use(self) -> bool:
        return self.readable and not self.detached and self.status != self.Status.REMOVED

    def _review(self, by, version: int | None, change) -> None:
        """Run ``change()`` on the stored row if it is still at ``version``, then save it as
        the reviewer's, raising the version. The first review keeps what the reader read."""
        with transaction.atomic():
            stored = ClaimFigure.objects.select_for_update().filter(pk=self.pk).first()
            if stored is None:
                raise WorkflowError(
                    "This figure is no longer stored: the claim's text changed and it was read "
                    "again. Reload the claim."
                )
            if version is not None and stored.version != version:
                raise StaleFigureError(stored)
            if self.status == self.Status.EXTRACTED and not self.extracted:
                self.extracted = {name: getattr(stored, name) for name in self.READING}
            change()
            self.corrected_by = by
            self.corrected_at = timezone.now()
            self.version = stored.version + 1
            self.save()
        self.claim.figures_reviewed()

    def correct(self, *, by, version: int | None, note: str = "", **reading) -> None:
        """A reviewer's reading replaces the reader's (``READING`` fields, all given)."""
        missing = set(self.READING) - set(reading) - {"readable"}
        if missing or set(reading) - set(self.READING):
            raise ValueError(f"a correction gives every reading field: {sorted(missing)}")

        def change():
            for name, value in reading.items():
                setattr(self, name, value)
            self.readable = True
            self.status = self.Status.CORRECTED
            self.note = (note or "").strip()

        self._review(by, version, change)

    def remove(self, *, by, version: int | None, note: str = "") -> None:
        """A wrong figure leaves the comparisons; the row stays, marked, with who and why."""
        note = (note or "").strip()
        if not note:
            raise WorkflowError("Say why the figure is wrong: the note stays with it.")

        def change():
            self.status = self.Status.REMOVED
            self.note = note

        self._review(by, version, change)


# --- Claims across articles: the index, families, proposals -----------------------------------


class ClaimKeyManager(models.Manager):
    #: Claims read per key when finding candidates: a key shared by more is common, and tells
    #: little. The work per claim is at most this many rows per key, however many claims there
    #: are (the index is a B-tree on (key, claim, article); see ``sharing``).
    CAP = 100

    def file(self, claim: "Claim", keys: list[str], *, created: bool = False) -> None:
        """File ``claim`` under ``keys`` (replacing the keys it had)."""
        if not created:
            self.filter(claim=claim).delete()
        self._insert([(claim.pk, claim.article_id, key) for key in keys])

    def file_many(self, claims) -> None:
        """``file`` for a batch of claims (quote, statement, claimant loaded): three queries."""
        claims = list(claims)
        figures: dict[int, list] = {}
        for figure in ClaimFigure.objects.filter(claim__in=claims):
            figures.setdefault(figure.claim_id, []).append(figure)
        self.filter(claim__in=claims).delete()
        self._insert(
            [
                (claim.pk, claim.article_id, key)
                for claim in claims
                for key in families.index_keys(claim.features(figures.get(claim.pk, [])))
            ]
        )

    def _insert(self, rows: list[tuple[int, int, str]]) -> None:
        """Add the (claim id, article id, key) ``rows``.

        On PostgreSQL one ``INSERT … SELECT FROM unnest`` of three arrays, without a model
        instance per key or the ids returned: a claim's ~20 keys took 0.8 ms of CPU and 2.0 ms
        through ``bulk_create``, 0.12 and 0.55 ms so (the 2,000,000-claim desk at a load of 6;
        make bench-scale, "claim create POST"). Elsewhere ``bulk_create``, the plain path
        (``tests/test_families.py`` holds both to the same rows)."""
        if not rows:
            return
        connection = connections[self.db]
        if connection.vendor != "postgresql":
            self.bulk_create(
                ClaimKey(claim_id=claim_id, article_id=article_id, key=key)
                for claim_id, article_id, key in rows
            )
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        claim_ids, article_ids, keys = (list(column) for column in zip(*rows, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                # The table's name comes from the model; every value is a parameter.
                f"INSERT INTO {table} (claim_id, article_id, key) "  # noqa: S608
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[])",
                [claim_ids, article_ids, keys],
            )

    def sharing(self, keys: list[str], *, article_id: int) -> dict[str, list[int]]:
        """For each key, the newest claims (ids, at most ``CAP`` + 1) of other articles filed
        under it: one query, each part of it a range read of the index."""
        return newest_per_key(self, "claim_id", keys, cap=self.CAP, other_article=article_id)


def newest_per_key(
    manager: models.Manager, id_column: str, keys: list[str], *, cap: int, other_article=None
) -> dict[str, list[int]]:
    """For each key of an inverted index (a table of ``key`` and ``id_column``, with a B-tree
    on (key, id…)), the newest ids filed under it, at most ``cap`` + 1 (and, given
    ``other_article``, only rows of other articles): one query, each part a range read of
    the index, so the work does not grow with the table."""
    if not keys:
        return {}
    connection = connections[manager.db]
    table = connection.ops.quote_name(manager.model._meta.db_table)
    column = connection.ops.quote_name(id_column)
    other = "" if other_article is None else " AND article_id <> %s"
    # The names come from the model and every value is a parameter.
    part = (
        f"SELECT * FROM (SELECT key, {column} FROM {table} WHERE key = %s{other} "  # noqa: S608
        f"ORDER BY {column} DESC LIMIT {int(cap) + 1}) AS k{{n}}"
    )
    sql = " UNION ALL ".join(part.format(n=n) for n in range(len(keys)))
    params = []
    for key in keys:
        params += [key] if other_article is None else [key, other_article]
    found: dict[str, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for key, pk in cursor.fetchall():
            found.setdefault(key, []).append(pk)
    return found


class ClaimKey(models.Model):
    """One key a claim is filed under (``annotations.families.index_keys``): an inverted index,
    so that the claims that might say the same as a new one are found without a scan."""

    claim = models.ForeignKey("Claim", on_delete=models.CASCADE, related_name="index_keys")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=120, editable=False)

    objects = ClaimKeyManager()

    class Meta:
        indexes = [models.Index(fields=["key", "claim", "article"], name="claim_key_lookup")]

    def __str__(self):
        return self.key


class StaleFamilyError(WorkflowError):
    """A family changed since the reviewer's page showed it; ``families`` hold it as it is."""

    def __init__(self, families, message: str = ""):
        self.families = [family for family in families if family is not None]
        super().__init__(
            message
            or "Someone else changed this family while you were looking at it; nothing was "
            "changed. It is shown as it is now: check it and try again."
        )


class ClaimFamilyQuerySet(models.QuerySet):
    def current(self):
        """Families not merged into another."""
        return self.filter(merged_into__isnull=True)

    def open_conflicts(self):
        """Families whose figures disagree and nobody has resolved why, newest first."""
        return self.current().filter(conflict=True, resolution="").order_by("-updated_at", "pk")


class ClaimFamily(models.Model):
    """Claims in several articles that make the same checkable claim, checked once.

    A claim is in at most one family (``FamilyMembership.claim`` is unique). Every change
    (members joining, leaving, split off, merged in; the canonical statement) raises the
    version, so a reviewer acting on an older view is refused and shown the family as it is,
    and is written to ``events``, the family's history. A family merged into another keeps its
    row (``merged_into``) and history.
    """

    class Resolution(models.TextChoices):
        OPEN = "", "Not resolved"
        DIFFERENT_DEFINITIONS = "different_definitions", "Different definitions"
        REVISED_ESTIMATE = "revised_estimate", "A revised estimate"
        DIFFERENT_PERIODS = "different_periods", "Different periods"
        SOURCE_WRONG = "source_wrong", "One source is wrong"
        OTHER = "other", "Other (see the note)"

    #: Figures apart by more than this share of the larger one disagree.
    TOLERANCE = 0.1

    statement = models.TextField(
        "canonical statement",
        help_text="The one checkable statement the members' claims make, however worded.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every change; a change based on an older one is refused."
    )
    member_count = models.PositiveIntegerField(default=0, editable=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_families"
    )
    conflict = models.BooleanField(
        default=False,
        editable=False,
        help_text="The members' figures of the same thing disagree beyond the tolerance.",
    )
    conflict_figures = models.JSONField(
        default=list, blank=True, editable=False, help_text="Ids of the figures that disagree."
    )
    resolution = models.CharField(
        max_length=30, choices=Resolution.choices, blank=True, default=Resolution.OPEN
    )
    resolution_note = models.TextField(blank=True, help_text="How the figures were reconciled.")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_families",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_families",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ClaimFamilyQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "pk"]
        verbose_name_plural = "claim families"
        indexes = [
            # The dashboard's open conflicts (``open_conflicts``), on every dashboard page: the
            # newest nine read from here, not every family scanned and sorted (22,746 families
            # on the 2,000,000-claim desk: 4 ms of SQL on a quiet machine, 13-33 ms at a load
            # of 10-12; README, "Scale").
            models.Index(
                fields=["-updated_at", "id"],
                condition=Q(merged_into__isnull=True, conflict=True, resolution=""),
                name="family_open_conflicts",
            ),
        ]

    def __str__(self):
        text = self.statement
        return f"Family #{self.pk}: " + (text if len(text) <= 60 else text[:59] + "…")

    def get_absolute_url(self):
        return reverse("annotations:family-detail", args=[self.pk])

    # --- Changes: each locks the rows it changes and checks the versions the reviewer saw ---

    @staticmethod
    def _lock(claim_ids) -> dict[int, "ClaimFamily | None"]:
        """Lock the claims (membership changes are serialised on their rows) and return each
        one's family, locked too."""
        ids = sorted(set(claim_ids))
        list(Claim.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        links = FamilyMembership.objects.filter(claim_id__in=ids).values_list(
            "claim_id", "family_id"
        )
        by_claim = dict(links)
        families = {
            f.pk: f
            for f in ClaimFamily.objects.select_for_update().filter(pk__in=set(by_claim.values()))
        }
        return {pk: families.get(by_claim.get(pk)) for pk in ids}

    def _event(self, kind, *, by, claim=None, other=None, note: str = "") -> "FamilyEvent":
        return FamilyEvent.objects.create(
            family=self,
            kind=kind,
            claim=claim,
            claim_label=str(claim)[:300] if claim else "",
            other_family=other,
            note=note,
            by=by,
        )

    def _bump(self, by, left=()) -> None:
        """Raise the version after a change; the readers of the members (and of the claims
        that ``left``) hear of it once the change commits, so open panels show the family."""
        self.version += 1
        claims = list(self.memberships.values_list("claim_id", "claim__article_id"))
        self.member_count = len(claims)
        self._check_conflict(by)
        self._history_user = by
        self.save()
        live.family_changed(self.pk, claims + [(c.pk, c.article_id) for c in left], by)

    # --- Conflicting figures ----------------------------------------------------------------

    def member_figures(self) -> list["ClaimFigure"]:
        """The members' figures that comparisons use, with their claims and articles."""
        return list(
            ClaimFigure.objects.in_use()
            .filter(claim__family_link__family=self)
            .select_related("claim__article__publisher", "claim__verdict")
            .order_by("claim_id", "source", "start")
        )

    def figure_groups(self) -> list[dict]:
        """The members' figures side by side, one group per thing counted on one scale (there may
        be several: people and images), each with its table rows and its chart. Groups of one
        claim only are left out: nothing to compare."""
        grouped: dict[str, list] = {}
        for figure in self.member_figures():
            key = families.figure_key(figure.as_figure())
            if key:
                grouped.setdefault(key, []).append(figure)
        disagreeing = set(self.conflict_figures)
        groups = []
        for key, figures in grouped.items():
            if len({figure.claim_id for figure in figures}) < 2:
                continue
            # One row a figure a member states: its quote and its statement restating the same
            # figure are one row (the quote's words shown), saying where it was found.
            rows, row_of = [], {}
            for figure in figures:
                said = (figure.claim_id, figure.what_it_says)
                if said in row_of:
                    row = row_of[said]
                    row["found_in"].append(figure.get_source_display().lower())
                    row["disagrees"] = row["disagrees"] or figure.pk in disagreeing
                    continue
                claim, article = figure.claim, figure.claim.article
                when = claim.claim_date or article.published_on or article.imported_at.date()
                row_of[said] = {
                    "figure": figure,
                    "found_in": [figure.get_source_display().lower()],
                    "claim": claim,
                    "article": article,
                    "when": when,
                    "dated_by": "claim" if claim.claim_date else "article",
                    "url": reverse("annotations:claim-detail", args=[claim.article_id, claim.pk]),
                    "disagrees": figure.pk in disagreeing,
                }
                rows.append(row_of[said])
            rows.sort(key=lambda row: (row["when"], row["claim"].pk))
            points = [
                families.ChartPoint(
                    when=row["when"],
                    low=row["figure"].low,
                    high=row["figure"].high,
                    label=(
                        f"{row['figure'].description} — {row['article'].title}, "
                        f"{row['when']:%-d %b %Y}"
                    ),
                    url=row["url"],
                )
                for row in rows
            ]
            counted, _, scale = key.partition("|")
            scale = {"share": "shares", "change": "changes"}.get(
                scale, "counts" if scale == "level-count" else f"amounts in {scale[6:]}"
            )
            groups.append(
                {
                    "key": key,
                    "counted": counted,
                    "scale": scale,
                    "rows": rows,
                    "chart": families.chart(points),
                    "disagrees": any(row["disagrees"] for row in rows),
                }
            )
        return groups

    def _check_conflict(self, by, figures=None) -> bool:
        """Set ``conflict`` from the members' figures (unsaved); a resolved conflict whose
        disagreeing figures changed is open again, with a record. Returns whether it changed."""
        figures = self.member_figures() if figures is None else figures
        read = [(figure, figure.as_figure()) for figure in figures]
        disagreeing = set()
        for i, (x, fx) in enumerate(read):
            for y, fy in read[i + 1 :]:
                if x.claim_id != y.claim_id and figures_conflict(fx, fy, self.TOLERANCE):
                    disagreeing |= {x.pk, y.pk}
        ids = sorted(disagreeing)
        if ids == self.conflict_figures and self.conflict == bool(ids):
            return False
        if self.resolution and ids and ids != self.conflict_figures and self.pk:
            self.resolution, self.resolution_note = self.Resolution.OPEN, ""
            self.resolved_by, self.resolved_at = None, None
            self._event(FamilyEvent.Kind.REOPENED, by=by, note="The disagreeing figures changed.")
        self.conflict, self.conflict_figures = bool(ids), ids
        return True

    def refresh_conflict(self, by=None) -> None:
        """Recheck the figures after a member's figures changed."""
        with transaction.atomic():
            locked = ClaimFamily.objects.select_for_update().get(pk=self.pk)
            if locked._check_conflict(by):
                locked._history_user = by
                locked.save()

    @property
    def open_conflict(self) -> bool:
        return self.conflict and not self.resolution

    def resolve(self, *, by, version: int | None, resolution: str, note: str) -> None:
        """Record why the figures disagree (or reopen with an empty resolution)."""
        note = (note or "").strip()
        if resolution and not note:
            raise WorkflowError("Say how the figures were reconciled: the note is kept.")
        with transaction.atomic():
            self._check(version)
            current = ClaimFamily.objects.get(pk=self.pk)
            if not current.conflict:
                raise WorkflowError("The members' figures agree: there is nothing to resolve.")
            self.conflict, self.conflict_figures = current.conflict, current.conflict_figures
            self.resolution, self.resolution_note = resolution, note
            self.resolved_by = by if resolution else None
            self.resolved_at = timezone.now() if resolution else None
            label = self.Resolution(resolution).label
            self._event(
                FamilyEvent.Kind.RESOLVED if resolution else FamilyEvent.Kind.REOPENED,
                by=by,
                note=f"{label}: {note}" if resolution else note,
            )
            self._bump(by)

    def _add(self, claim: "Claim", by) -> None:
        FamilyMembership.objects.create(family=self, claim=claim, added_by=by)
        self._event(FamilyEvent.Kind.JOINED, by=by, claim=claim)

    @classmethod
    def confirm(cls, claim: "Claim", other: "Claim", *, by, seen: tuple) -> "ClaimFamily":
        """A reviewer confirms that ``other`` makes the same claim as ``claim``: they join one
        family (a new one; the one of them that has one; or, when both have one, the other's
        family is merged into the claim's). ``seen`` is what the reviewer's page showed:
        (claim's family id, its version, other's family id, its version), None for none."""
        if claim.pk == other.pk:
            raise WorkflowError("A claim is the same as itself: pick a claim of another article.")
        with transaction.atomic():
            families = cls._lock([claim.pk, other.pk])
            mine, theirs = families[claim.pk], families[other.pk]
            now = (
                mine and mine.pk,
                mine and mine.version,
                theirs and theirs.pk,
                theirs and theirs.version,
            )
            if now != tuple(seen):
                raise StaleFamilyError([mine, theirs])
            if mine is not None and theirs is not None:
                if mine.pk == theirs.pk:
                    raise WorkflowError("These claims are already in the same family.")
                mine._merge_locked(theirs, by=by)
                return mine
            family = mine or theirs
            if family is None:
                family = cls(statement=(claim.statement or claim.quote)[:5000], created_by=by)
                family._history_user = by
                family.save()
                family._event(FamilyEvent.Kind.CREATED, by=by, claim=claim)
                family._add(claim, by)
                family._add(other, by)
            else:
                family._add(other if family is mine else claim, by)
            family._bump(by)
            return family

    def _check(self, version: int | None) -> None:
        """Lock this family; refuse if it is not at ``version`` or was merged away."""
        current = ClaimFamily.objects.select_for_update().filter(pk=self.pk).first()
        if current is None or (version is not None and current.version != version):
            raise StaleFamilyError([current])
        if current.merged_into_id:
            raise StaleFamilyError(
                [current.merged_into],
                f"This family was merged into family #{current.merged_into_id}; nothing was "
                "changed. Continue there.",
            )
        self.version = current.version

    def edit(self, *, by, version: int | None, statement: str) -> bool:
        statement = (statement or "").strip()
        if not statement:
            raise WorkflowError("A family needs a checkable statement.")
        with transaction.atomic():
            self._check(version)
            if statement == ClaimFamily.objects.get(pk=self.pk).statement:
                return False
            self.statement = statement
            self._event(FamilyEvent.Kind.EDITED, by=by, note=statement[:2000])
            self._bump(by)
        return True

    def remove_member(self, claim: "Claim", *, by, version: int | None, note: str = "") -> None:
        """Take a claim out of the family (it makes a different claim after all)."""
        note = (note or "").strip()
        if not note:
            raise WorkflowError("Say why the claim leaves the family: the note is kept.")
        with transaction.atomic():
            self._check(version)
            links = FamilyMembership.objects.filter(family=self, claim=claim)
            if not links.exists():
                raise StaleFamilyError([self], "That claim is no longer in this family.")
            links.delete()
            self._event(FamilyEvent.Kind.REMOVED, by=by, claim=claim, note=note)
            self._bump(by, left=[claim])

    def split(self, claims, *, by, version: int | None, note: str = "") -> "ClaimFamily":
        """Move ``claims`` (members) into a new family of their own; both keep the record."""
        claims = list(claims)
        note = (note or "").strip()
        with transaction.atomic():
            self._check(version)
            members = set(self.memberships.values_list("claim_id", flat=True))
            chosen = {claim.pk for claim in claims}
            if not chosen or not chosen <= members:
                raise StaleFamilyError([self], "Tick members of this family to split off.")
            if chosen == members:
                raise WorkflowError("Leave at least one member in this family.")
            new = ClaimFamily(statement=self.statement, created_by=by)
            new._history_user = by
            new.save()
            FamilyMembership.objects.filter(family=self, claim_id__in=chosen).update(family=new)
            for claim in claims:
                self._event(FamilyEvent.Kind.SPLIT, by=by, claim=claim, other=new, note=note)
                new._event(FamilyEvent.Kind.SPLIT, by=by, claim=claim, other=self, note=note)
            self._bump(by)
            new._bump(by)
        return new

    def merge(self, other: "ClaimFamily", *, by, version: int | None, other_version: int | None):
        """Fold ``other``'s members into this family; ``other`` keeps its history."""
        if other.pk == self.pk:
            raise WorkflowError("A family cannot be merged into itself.")
        with transaction.atomic():
            other._check(other_version)
            self._check(version)
            self._merge_locked(other, by=by)

    def _merge_locked(self, other: "ClaimFamily", *, by) -> None:
        moved = list(other.memberships.select_related("claim"))
        FamilyMembership.objects.filter(family=other).update(family=self)
        self._event(FamilyEvent.Kind.MERGED, by=by, other=other, note=f"{len(moved)} claims")
        other._event(FamilyEvent.Kind.MERGED, by=by, other=self, note=f"{len(moved)} claims")
        other.merged_into = self
        other._bump(by)
        self._bump(by)

    # --- Shared evidence --------------------------------------------------------------------

    def members(self):
        return (
            Claim.objects.filter(family_link__family=self)
            .select_related("article__publisher", "verdict")
            .order_by("claim_date", "article__published_on", "pk")
        )

    def cite_for_all(self, source: Source, *, by, version: int | None, reason: str = "", **fields):
        """Cite ``source`` on every member that does not cite it yet, each through
        ``Claim.add_citation`` (an approved member gets a proposed change, which a second
        person approves, and needs ``reason``). Returns (claim, outcome) pairs: "cited",
        "proposed", or the refusal's message. Members are changed one by one: a refusal of one
        leaves the others cited."""
        with transaction.atomic():
            self._check(version)
        outcomes = []
        for member in self.members():
            if member.citations.filter(source=source).exists():
                continue
            try:
                made = member.add_citation(
                    by=by, version=None, source=source, reason=reason, **fields
                )
            except WorkflowError as error:
                outcomes.append((member, str(error)))
                continue
            outcomes.append((member, "proposed" if isinstance(made, ProposedCitation) else "cited"))
        if any(outcome in {"cited", "proposed"} for _, outcome in outcomes):
            self._event(
                FamilyEvent.Kind.CITED,
                by=by,
                note=f"“{source.title}” for {len(outcomes)} members",
            )
        return outcomes

    def share_verdict(self, approved: "Claim", *, by) -> list["Claim"]:
        """``approved``'s verdict, just approved, is proposed (never approved) for the other
        members still in work, each then waiting for its own second person. Members awaiting
        review or approved keep theirs. Returns the members it was proposed for."""
        shared = []
        for member in self.members().exclude(pk=approved.pk):
            if member.state not in (
                Claim.State.TO_DO,
                Claim.State.IN_PROGRESS,
                Claim.State.SENT_BACK,
            ):
                continue
            explanation = (
                f"Approved for claim #{approved.pk} of this claim's family "
                f"(“{approved.article.title}”): {approved.verdict_explanation}"
            ).strip()
            try:
                member.propose_verdict(
                    by=by, version=None, verdict=approved.verdict, explanation=explanation
                )
            except WorkflowError:
                continue
            shared.append(member)
        if shared:
            self._event(
                FamilyEvent.Kind.VERDICT_SHARED,
                by=by,
                claim=approved,
                note=f"“{approved.verdict}” proposed for claims "
                + ", ".join(f"#{claim.pk}" for claim in shared),
            )
        return shared


class FamilyMembership(models.Model):
    """A claim's place in a family: at most one per claim."""

    claim = models.OneToOneField("Claim", on_delete=models.CASCADE, related_name="family_link")
    family = models.ForeignKey(ClaimFamily, on_delete=models.CASCADE, related_name="memberships")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["family", "added_at", "pk"]

    def __str__(self):
        return f"Claim {self.claim_id} in family {self.family_id}"


@receiver(post_delete, sender=FamilyMembership, dispatch_uid="family-member-deleted")
def record_member_deleted(sender, instance, **kwargs):
    """A member whose claim is deleted leaves the family with a trace (the claim's own history
    keeps the claim)."""
    origin = kwargs.get("origin")
    if not origin or isinstance(origin, FamilyMembership):
        return  # removed through the family's own methods, which record why
    if isinstance(origin, ClaimFamily) or getattr(origin, "model", None) is ClaimFamily:
        return  # the family itself is being deleted, its history with it
    family = ClaimFamily.objects.filter(pk=instance.family_id).first()
    if family is None:
        return
    FamilyEvent.objects.create(
        family=family,
        kind=FamilyEvent.Kind.REMOVED,
        claim_label=f"claim #{instance.claim_id}",
        note="The claim was deleted.",
    )
    ClaimFamily.objects.filter(pk=family.pk).update(
        version=F("version") + 1, member_count=F("member_count") - 1
    )


class FamilyEvent(models.Model):
    """One change to a family, for its history: who, when, what, why."""

    class Kind(models.TextChoices):
        CREATED = "created", "created the family"
        JOINED = "joined", "added a claim"
        REMOVED = "removed", "removed a claim"
        SPLIT = "split", "split off a claim"
        MERGED = "merged", "merged families"
        EDITED = "edited", "changed the canonical statement"
        CITED = "cited", "cited a source for every member"
        VERDICT_SHARED = "verdict_shared", "proposed an approved verdict to the other members"
        RESOLVED = "resolved", "recorded why the figures disagree"
        REOPENED = "reopened", "reopened the conflict"

    family = models.ForeignKey(ClaimFamily, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    claim = models.ForeignKey(
        "Claim", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claim_label = models.CharField(
        max_length=300, blank=True, editable=False, help_text="The claim as it read then."
    )
    other_family = models.ForeignKey(
        ClaimFamily, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True, help_text="Why, or what changed.")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"


class ProposalRejection(models.Model):
    """A reviewer said two claims do not make the same claim: never proposed again."""

    claim = models.ForeignKey("Claim", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("Claim", on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(claim__lt=F("other")), name="proposal_rejection_ordered_pair"
            ),
            models.UniqueConstraint(fields=["claim", "other"], name="proposal_rejection_once"),
        ]

    def __str__(self):
        return f"Claims {self.claim_id} and {self.other_id} differ"

    @classmethod
    def record(cls, a: "Claim", b: "Claim", *, by) -> "ProposalRejection":
        low, high = sorted([a.pk, b.pk])
        rejection, _ = cls.objects.get_or_create(claim_id=low, other_id=high, defaults={"by": by})
        return rejection


# --- API tokens -------------------------------------------------------------------------------


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        """Tokens that still open the API: not revoked, and their owner's account active."""
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def owner_of(self, secret: str) -> "User | None":
        """The user a presented token acts for, or None for an unknown, revoked or dead one.
        Records when the token was last used (at most once a minute: a write per request
        would serialise every API call on SQLite's one writer)."""
        if not secret.startswith(ApiToken.PREFIX) or len(secret) > 200:
            return None
        token = (
            self.live().select_related("user").filter(key_hash=ApiToken.hash_secret(secret)).first()
        )
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > ApiToken.USE_RECORDED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user


class ApiToken(models.Model):
    """A personal API token: acts as its owner, with the owner's role and nothing more.

    The secret is shown once when the token is made and stored only as its SHA-256 (a token is
    a long random string, so a plain hash is enough: there is nothing to brute-force). A token
    is never deleted: revoking it records when and by whom, and it stops working at once.
    """

    PREFIX = "fct_"
    USE_RECORDED_EVERY = datetime.timedelta(minutes=1)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for (“CMS plug-in”).")
    key_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the secret, in hex; never the secret."
    )
    hint = models.CharField(
        max_length=12, help_text="The secret's first characters, to tell tokens apart."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who revoked the token: its owner or an admin.",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.hint}…) of {self.user}"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        """Make a token for ``user``; returns it and its secret, which is never stored."""
        name = " ".join((name or "").split())
        if not name:
            raise ValidationError({"name": "Give the token a name: what will use it?"})
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name[:100], key_hash=cls.hash_secret(secret), hint=secret[:10]
        )
        return token, secret

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.user.is_active

    def revoke(self, *, by) -> None:
        """Stop the token working. Its owner revokes their own; an admin anyone's."""
        if by.pk != self.user_id and not by.is_admin:
            raise WorkflowError("Only the token's owner or an admin can revoke it.")
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.revoked_by = by
            self.save(update_fields=["revoked_at", "revoked_by"])


# --- Published fact-checks: other fact-checkers' ClaimReviews ----------------------------------


@dataclass
class PublishedMatch:
    """A published fact-check that checks what a claim (or a sentence) says, and why it is
    thought to (the scoring of claim families: ``annotations.families.score``)."""

    review: "PublishedReview"
    match: families.Match


class PublishedReviewQuerySet(models.QuerySet):
    def matching(
        self, found: "families.ClaimFeatures", *, limit: int | None = 3
    ) -> list[PublishedMatch]:
        """The reviews that check what ``found`` says (a claim's features, or any text's:
        ``matching_text``), best first. Candidates are the reviews filed under the rarest of
        its index keys (``families.index_keys``, a capped number per key, as for proposals of
        the same claim), each scored by ``families.score`` and kept above its threshold. Two
        queries, however many reviews are stored."""
        shared = newest_per_key(
            PublishedReviewKey.objects,
            "review_id",
            families.index_keys(found),
            cap=PublishedReviewKey.CAP,
        )
        ranked = families.rank_candidates(
            shared, cap=PublishedReviewKey.CAP, limit=PublishedReview.CANDIDATES
        )
        if not ranked:
            return []
        found_matches = []
        # What scoring and the panel's line read (the appearances and import details not).
        shown = ["url", "claim_reviewed", "claimant", "figures", "organisation", "reviewed_on"]
        shown += ["rating", "rating_value", "best_rating", "worst_rating", "headline"]
        for review in self.filter(pk__in=ranked).only(*shown):
            match = families.score(found, review.features())
            if match.score >= families.THRESHOLD:
                found_matches.append(PublishedMatch(review, match))
        found_matches.sort(
            key=lambda m: (
                -m.match.score,
                -(m.review.reviewed_on or datetime.date.min).toordinal(),
                m.review.pk,
            )
        )
        return found_matches if limit is None else found_matches[:limit]

    def matching_text(
        self, text: str, *, claimant: str = "", figures=None, limit: int | None = 3
    ) -> list[PublishedMatch]:
        """``matching`` for any text, such as a sentence suggested as worth checking: its
        figures are read (``annotations.figures.extract_figures``) unless given."""
        if figures is None:
            figures = extract_figures(text or "")
        return self.matching(families.features("", text, claimant, figures), limit=limit)


class PublishedReview(models.Model):
    """A fact-check another organisation published, read from its ClaimReview markup
    (``annotations.importers.claimreview``) so that claims already checked elsewhere are
    pointed at. Kept once per URL: importing it again updates it."""

    url = models.URLField(
        "URL",
        max_length=2000,
        unique=True,
        help_text="The fact-check's address, normalised (annotations/urlnorm.py): the review "
        "is kept once per URL.",
    )
    claim_reviewed = models.TextField(
        help_text="The claim as the fact-checker summarised it (claimReviewed)."
    )
    rating = models.CharField(
        max_length=300,
        blank=True,
        help_text="The rating in words (reviewRating.alternateName, else its name).",
    )
    rating_value = models.FloatField(
        null=True, blank=True, help_text="reviewRating.ratingValue, when the rating has a number."
    )
    best_rating = models.FloatField(null=True, blank=True, help_text="reviewRating.bestRating.")
    worst_rating = models.FloatField(null=True, blank=True, help_text="reviewRating.worstRating.")
    organisation = models.CharField(
        max_length=300, blank=True, help_text="Who published the review (author, else publisher)."
    )
    organisation_url = models.URLField("organisation URL", max_length=2000, blank=True)
    headline = models.CharField(max_length=500, blank=True)
    reviewed_on = models.DateField(
        "date", null=True, blank=True, help_text="When the review was published (datePublished)."
    )
    claimant = models.CharField(
        max_length=500, blank=True, help_text="Who made the claim (itemReviewed.author)."
    )
    claim_date = models.DateField(
        null=True, blank=True, help_text="When the claim was made (itemReviewed.datePublished)."
    )
    appearances = models.JSONField(
        default=list,
        blank=True,
        help_text="Addresses where the claim appeared (itemReviewed.appearance and "
        "firstAppearance), normalised.",
    )
    figures = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="The figures read from claimReviewed (annotations.figures), kept so that "
        "matching reads none.",
    )
    source_name = models.CharField(
        max_length=300, blank=True, help_text="The file it was last imported from."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishedReviewQuerySet.as_manager()

    #: Reviews scored per claim, at most (the best by shared rare keys).
    CANDIDATES = 25
    #: What an import compares to tell an updated review from an unchanged one.
    CONTENT_FIELDS = (
        "claim_reviewed",
        "rating",
        "rating_value",
        "best_rating",
        "worst_rating",
        "organisation",
        "organisation_url",
        "headline",
        "reviewed_on",
        "claimant",
        "claim_date",
        "appearances",
    )

    class Meta:
        verbose_name = "published fact-check"
        ordering = ["-reviewed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(claim_reviewed=""), name="published_review_has_claim"
            ),
            models.CheckConstraint(
                condition=~Q(rating="") | Q(rating_value__isnull=False),
                name="published_review_has_rating",
            ),
        ]

    def __str__(self):
        return f"{self.organisation or 'Unknown'}: {self.claim_reviewed[:80]}"

    @property
    def rating_label(self) -> str:
        """The rating as a reader sees it: its words, else its number on its scale."""
        if self.rating:
            return self.rating
        if self.best_rating is not None:
            return f"{self.rating_value:g} of {self.best_rating:g}"
        return f"{self.rating_value:g}"

    @property
    def url_is_link(self) -> bool:
        """Its address may be linked to: http(s) only (``urlnorm.is_http_url``); anything else
        (``javascript:``, a file path) is shown as text, never put in an ``href``."""
        return is_http_url(self.url)

    @property
    def source_url(self) -> str:
        """The address of its page in the source library (without the review's fragment)."""
        return normalize_url(self.url)

    def figure_objects(self) -> list[Figure]:
        return [Figure(**stored) for stored in self.figures]

    def features(self) -> "families.ClaimFeatures":
        """What the scoring of claim families reads: claimReviewed as the statement, the
        claimant, the stored figures."""
        return families.features("", self.claim_reviewed, self.claimant, self.figure_objects())

    def read_figures(self) -> None:
        """Read the figures of claimReviewed into ``figures`` (unsaved)."""
        self.figures = [
            {name: getattr(figure, name) for name in Figure.__slots__}
            for figure in extract_figures(self.claim_reviewed)
        ]

    def index_keys(self) -> list[str]:
        return families.index_keys(self.features())

    def source_to_cite(self, *, by) -> Source:
        """The library's source for this review's page, or a new one (unsaved: it is saved
        with the citation, so a refused citation adds nothing to the library)."""
        existing = Source.objects.filter(url=self.source_url).first()
        if existing is not None:
            return existing
        title = self.headline or f"{self.organisation or 'Fact-check'}: {self.claim_reviewed}"
        return Source(
            title=title[: Source._meta.get_field("title").max_length],
            url=self.url,
            publisher=self.organisation,
            kind=Source.Kind.FACT_CHECK,
            published_on=self.reviewed_on,
            created_by=by,
        )


class PublishedReviewKey(models.Model):
    """One key a published review is filed under (``annotations.families.index_keys``, the
    keys claims are filed under in ``ClaimKey``), so that a claim finds the reviews that may
    check it without a scan."""

    #: Reviews read per key when matching: a key shared by more is common, and tells little.
    CAP = 100

    review = models.ForeignKey(PublishedReview, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=120, editable=False)

    class Meta:
        indexes = [models.Index(fields=["key", "review"], name="published_review_key_lookup")]

    def __str__(self):
        return self.key

    @classmethod
    def file(cls, reviews, *, created=()) -> None:
        """File ``reviews`` (saved) under their keys, replacing the keys they had (the
        ``created`` ones had none)."""
        reviews = list(reviews)
        new = {review.pk for review in created}
        if refiled := [review.pk for review in reviews if review.pk not in new]:
            cls.objects.filter(review__in=refiled).delete()
        rows = [(review.pk, key) for review in reviews for key in review.index_keys()]
        # Plain executemany, not bulk_create: the ORM builds a model instance and compiles
        # every value of every key (ten a review), which was half of importing 10,000
        # reviews (make bench: "import a ClaimReview feed"). tests/test_published_checks.py
        # checks the keys filed are the review's index keys.
        connection = connections[cls.objects.db]
        table, review, key = map(
            connection.ops.quote_name, (cls._meta.db_table, "review_id", "key")
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({review}, {key}) VALUES (%s, %s)",  # noqa: S608
                rows,
            )


# --- Notifications ----------------------------------------------------------------------------

#: ``@username`` in a comment: a name as Django allows it (letters, digits, @.+-_), not the
#: middle of an e-mail address. A trailing full stop ends the sentence, not the name.
MENTION = re.compile(r"(?<![\w.@+-])@([\w.@+-]{1,150})")


def mentioned_usernames(text: str) -> list[str]:
    return list(dict.fromkeys(match.rstrip(".") for match in MENTION.findall(text)))


@dataclass
class InboxPage:
    """One page of a person's inbox, newest first, and the cursors of the pages around it
    (``None`` where there is none): see ``NotificationQuerySet.inbox_page``."""

    notifications: list["Notification"]
    older: str | None
    newer: str | None

    def __iter__(self):
        return iter(self.notifications)


class NotificationQuerySet(models.QuerySet):
    # The badge shows "99+" above this: it never counts more rows than one more than this.
    BADGE_CAP = 99
    PAGE_SIZE = 25

    def unread(self):
        return self.filter(read_at__isnull=True)

    def badge(self) -> str:
        """The header badge's unread count: "" for none, "99+" past ``BADGE_CAP``. Reads at
        most ``BADGE_CAP + 1`` entries of the unread index, however many are unread."""
        unread = self.unread().order_by().values("recipient")[: self.BADGE_CAP + 1].count()
        return f"{self.BADGE_CAP}+" if unread > self.BADGE_CAP else str(unread or "")

    def for_inbox(self):
        return self.select_related("actor").order_by("-created_at", "-pk")

    def inbox_page(self, *, older: str = "", newer: str = "") -> InboxPage:
        """``PAGE_SIZE`` notifications, newest first: the newest, or those just older (or
        newer) than the cursor given (``Notification.cursor``). Keyset pagination: one query
        of ``PAGE_SIZE + 1`` rows along the inbox index, never a count of the whole inbox,
        and a notification arriving meanwhile does not shift the pages. A cursor that does not
        parse gives the newest page."""
        size = self.PAGE_SIZE
        if before := Notification.parse_cursor(older):
            rows = list(self.for_inbox().filter(_older_than(*before))[: size + 1])
            if rows:
                return InboxPage(rows[:size], _cursor_of(rows, size), rows[0].cursor)
        if after := Notification.parse_cursor(newer):
            ascending = self.select_related("actor").order_by("created_at", "pk")
            rows = list(ascending.filter(_newer_than(*after))[: size + 1])
            if len(rows) > size:
                rows = rows[:size][::-1]
                return InboxPage(rows, rows[-1].cursor, rows[0].cursor)
            # Reached the newest: the first page, full.
        rows = list(self.for_inbox()[: size + 1])
        return InboxPage(rows[:size], _cursor_of(rows, size), None)

    def mark_read(self) -> int:
        return self.unread().update(read_at=timezone.now())


def _cursor_of(rows: list, size: int) -> str | None:
    """The cursor of the next older page: there is one when ``size + 1`` rows came back."""
    return rows[size - 1].cursor if len(rows) > size else None


def _older_than(created_at, pk) -> Q:
    # The first condition alone is a range of the inbox index; the second picks within it.
    return Q(created_at__lte=created_at) & (Q(created_at__lt=created_at) | Q(pk__lt=pk))


def _newer_than(created_at, pk) -> Q:
    return Q(created_at__gte=created_at) & (Q(created_at__gt=created_at) | Q(pk__gt=pk))


class NotificationManager(models.Manager.from_queryset(NotificationQuerySet)):
    def send(self, recipients, kind: str, *, claim: "Claim", by=None, text: str = "") -> list:
        """One notification of ``kind`` about ``claim`` for each of ``recipients`` who holds a
        role and is not the person acting. Their open pages hear of it, and the e-mail is sent
        after the commit by ``annotations.notifications`` when the person asked for it."""
        from annotations import live, notifications

        people = {
            person.pk: person
            for person in recipients
            if person is not None and person.is_reviewer and (by is None or person.pk != by.pk)
        }
        if not people:
            return []
        about = str(claim)[:200]
        created = self.bulk_create(
            self.model(
                recipient=person,
                kind=kind,
                claim=claim,
                article_id=claim.article_id,
                claim_text=about,
                actor=by,
                text=text,
            )
            for person in people.values()
        )
        live.notified(people)
        notifications.send_emails_after_commit([n.pk for n in created if n.pk is not None])
        return created

    def about_claim_change(self, claim: "Claim", *, before: tuple, by) -> None:
        """A saved change to ``claim`` (``before``: its state, assignee and proposer before
        it): the people it concerns are told. Called inside the change's transaction."""
        state, assignee_id, proposer_id = before
        Kind = self.model.Kind
        if claim.assignee_id and claim.assignee_id != assignee_id:
            self.send([claim.assignee], Kind.ASSIGNED, claim=claim, by=by)
        if claim.state == state:
            return
        proposer = claim.verdict_proposed_by if claim.verdict_proposed_by_id else None
        if claim.state == Claim.State.NEEDS_REVIEW:
            editors = User.objects.able_to_approve().exclude(pk=claim.verdict_proposed_by_id)
            self.send(editors, Kind.REVIEW, claim=claim, by=by)
        elif claim.state == Claim.State.SENT_BACK:
            self.send(
                [proposer, claim.assignee], Kind.SENT_BACK, claim=claim, by=by,
                text=claim.sent_back_reason,
            )  # fmt: skip
        elif claim.state == Claim.State.APPROVED and state == Claim.State.NEEDS_REVIEW:
            self.send([proposer], Kind.APPROVED, claim=claim, by=by)

    def about_comment(self, comment: "Comment") -> None:
        """The people a comment mentions (``@username``, people with a role only: another
        name stays plain text), and those who work on its claim."""
        claim = comment.claim
        names = mentioned_usernames(comment.body)
        mentioned = list(User.objects.able_to_review().filter(username__in=names)) if names else []
        excerpt = comment.body[:500]
        self.send(
            mentioned, self.model.Kind.MENTIONED, claim=claim, by=comment.author, text=excerpt
        )
        workers = User.objects.filter(
            pk__in={claim.assignee_id, claim.verdict_proposed_by_id, claim.created_by_id} - {None}
        ).exclude(pk__in=[person.pk for person in mentioned])
        self.send(workers, self.model.Kind.COMMENTED, claim=claim, by=comment.author, text=excerpt)


class Notification(models.Model):
    """Something a person should know about a claim, in their inbox until they read it."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "A claim was assigned to you"
        REVIEW = "review", "A verdict awaits your review"
        SENT_BACK = "sent_back", "Your proposal was sent back"
        APPROVED = "approved", "Your proposal was approved"
        MENTIONED = "mentioned", "You were mentioned"
        COMMENTED = "commented", "A comment on a claim you work on"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # A deleted claim leaves its notifications, which keep what they were about.
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claim_text = models.CharField(
        max_length=200, help_text="The claim's statement (or quote) when this was sent."
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did what this tells of.",
    )
    text = models.TextField(blank=True, help_text="The reason sent back, or the comment.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # The header badge counts these.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.claim_text}"

    def get_absolute_url(self) -> str:
        if self.claim_id and self.article_id:
            return reverse("annotations:claim-detail", args=[self.article_id, self.claim_id])
        return reverse("annotations:inbox")

    CURSOR_FORMAT = "%Y%m%dT%H%M%S%f"

    @property
    def cursor(self) -> str:
        """Where this notification is in its inbox's order, for a page's ``?older=``/``?newer=``
        link: its time (UTC, to the microsecond) and id."""
        when = self.created_at.astimezone(datetime.UTC)
        return f"{when.strftime(self.CURSOR_FORMAT)}-{self.pk}"

    @classmethod
    def parse_cursor(cls, cursor: str) -> tuple[datetime.datetime, int] | None:
        when, _, pk = cursor.partition("-")
        try:
            moment = datetime.datetime.strptime(when, cls.CURSOR_FORMAT)
            return moment.replace(tzinfo=datetime.UTC), int(pk)
        except ValueError:
            return None


class NotificationSettings(models.Model):
    """Which notifications a person also gets by e-mail (all of them stay in the inbox)."""

    DEFAULT_EMAIL_KINDS = [
        Notification.Kind.ASSIGNED,
        Notification.Kind.REVIEW,
        Notification.Kind.SENT_BACK,
        Notification.Kind.MENTIONED,
    ]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_kinds = models.JSONField(
        default=list, blank=True, help_text="The kinds of notification also sent by e-mail."
    )

    def __str__(self):
        return f"Notification settings of {self.user}"

    @classmethod
    def email_kinds_of(cls, user) -> list[str]:
        found = cls.objects.filter(user=user).values_list("email_kinds", flat=True).first()
        return list(cls.DEFAULT_EMAIL_KINDS) if found is None else found


# --- Background jobs --------------------------------------------------------------------------


class JobCancelled(Exception):
    """The job's owner (or an admin) asked it to stop; raised at its next progress report."""


class JobQuerySet(models.QuerySet):
    def visible_to(self, user) -> "JobQuerySet":
        """A user sees their own jobs; an admin sees everyone's."""
        if getattr(user, "is_admin", False):
            return self
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def unfinished(self) -> "JobQuerySet":
        return self.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING))

    def abandoned(self, now=None) -> "JobQuerySet":
        """Running jobs whose worker stopped beating: killed, or its machine gone."""
        now = now or timezone.now()
        stale = now - datetime.timedelta(seconds=settings.FACTCHECK_JOB_STALE_SECONDS)
        return self.filter(status=Job.Status.RUNNING, heartbeat_at__lt=stale)

    def in_hand(self, now=None) -> "JobQuerySet":
        """Running jobs whose worker beat lately: a sign that workers are up (busy)."""
        now = now or timezone.now()
        stale = now - datetime.timedelta(seconds=settings.FACTCHECK_JOB_STALE_SECONDS)
        return self.filter(status=Job.Status.RUNNING, heartbeat_at__gte=stale)


class Job(models.Model):
    """Long work done by a background worker (``manage.py run_worker``), with its progress.

    The queue itself is django-tasks' database backend; a job is what a user sees of it: what
    it does, how far it is, its result or a clear error, and who may see or cancel it (its
    owner, or an admin). ``annotations/jobs.py`` runs jobs, retries transient failures and
    takes back jobs whose worker was killed.
    """

    class Kind(models.TextChoices):
        ARTICLE_LINK = "article-link", "Article from a link"
        SOURCE_SNAPSHOT = "source-snapshot", "Snapshot of a source"
        EXPORT = "export", "Export"
        FOLDER_IMPORT = "folder-import", "Import of article files"
        BACKFILL = "backfill", "Backfill"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=300, help_text="What the job does, as its owner sees it.")
    params = models.JSONField(
        default=dict, blank=True, help_text="What the job works on (ids, a link, a format)."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(
        default=0, help_text="Steps in all; 0 while unknown."
    )
    progress_note = models.CharField(
        max_length=300, blank=True, help_text="The step under way, e.g. the file being read."
    )
    message = models.TextField(
        blank=True, help_text="The outcome for the user: a summary, or why the job failed."
    )
    result_url = models.CharField(
        max_length=500,
        blank=True,
        editable=False,
        help_text="A page of the app the job made or changed.",
    )
    result_file = models.FileField(upload_to="jobs/%Y/%m/", max_length=300, blank=True)
    result_name = models.CharField(
        max_length=255, blank=True, editable=False, help_text="Download file name."
    )
    result_content_type = models.CharField(max_length=100, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    cancel_requested = models.BooleanField(default=False)
    task_id = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The queue's id of the job's latest attempt.",
    )
    worker = models.CharField(
        max_length=64, blank=True, editable=False, help_text="The worker running it."
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the worker running it."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_recent_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=F("progress_total")) | Q(progress_total=0),
                name="job_progress_within_total",
            )
        ]

    def __str__(self):
        return f"Job #{self.pk}: {self.title}"

    def get_absolute_url(self):
        return reverse("annotations:job-detail", kwargs={"pk": self.pk})

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    def waiting_for_a_worker(self, now=None) -> bool:
        """Queued and never started for longer than a running worker takes to pick a job up
        (``FACTCHECK_JOB_STALE_SECONDS``): the workers are busy with other jobs, or none runs.
        A job queued again for a retry waits on purpose and says so in its message."""
        now = now or timezone.now()
        stale = now - datetime.timedelta(seconds=settings.FACTCHECK_JOB_STALE_SECONDS)
        return (
            self.status == self.Status.QUEUED
            and self.attempts == 0
            and not self.cancel_requested
            and self.created_at < stale
        )

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)

    def report(self, done: int, total: int | None = None, note: str | None = None) -> None:
        """Record progress (and that the worker lives); raise ``JobCancelled`` if asked to stop."""
        fields = {"progress_done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["progress_total"] = total
        if note is not None:
            fields["progress_note"] = note[:300]
        total = fields.get("progress_total", self.progress_total)
        if total:
            fields["progress_done"] = min(done, total)
        Job.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)
        if Job.objects.filter(pk=self.pk, cancel_requested=True).exists():
            raise JobCancelled

    def cancel(self, *, by) -> bool:
        """Stop the job: at once if it waits, at its next step if it runs. False when finished."""
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=self.pk)
            if job.finished:
                return False
            if job.status == Job.Status.QUEUED:
                job.status = Job.Status.CANCELLED
                job.finished_at = timezone.now()
                job.message = f"Cancelled by {by} before it started."
            job.cancel_requested = True
            job.save()
        self.refresh_from_db()
        return True


# Check-worthy suggestions live in their own module; imported here so that Django registers them.
from annotations.suggestions import Suggestion, SuggestionDismissal  # noqa: E402, F401
