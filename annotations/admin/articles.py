"""Articles, claims, citations and comments in the admin.

Text that claims are anchored in (body, offsets, quotes) is read-only here: editing it by hand
would detach the claims. Articles are added by uploading files through the importer.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from annotations import backfills, ratelimit
from annotations.admin.common import (
    HistoryAdmin,
    MultipleFileField,
    PageOfRowsInline,
    VersionCheckedForm,
)
from annotations.admin.revisions import RevisionInline
from annotations.importers import SUPPORTED_EXTENSIONS
from annotations.jobs import start_file_import
from annotations.models import Article, Citation, Claim, Comment
from annotations.views.exports import export_report_action

# --- Upload -------------------------------------------------------------------------------------


class ArticleUploadForm(forms.Form):
    files = MultipleFileField(
        label="Article files",
        allow_empty_file=True,  # the importer reports an empty file on its own line
        help_text=f"One or more {', '.join(SUPPORTED_EXTENSIONS)} files. Each file is imported "
        "whole or not at all; bad files are reported and the rest are imported.",
    )
    update = forms.BooleanField(
        required=False,
        label="Replace changed versions",
        help_text="A new version of an article already imported replaces its text and moves "
        "its claims onto the new text by their quotes (refused if a quote is gone).",
    )


# --- Inlines ------------------------------------------------------------------------------------


class ClaimInline(PageOfRowsInline):
    model = Claim
    fields = ["quote", "part", "start", "end", "state", "verdict", "assignee"]
    readonly_fields = fields
    show_change_link = True
    rows_caption = "The first {shown} of {total} claims, in the order of the text."

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("verdict", "assignee")


class CitationInline(admin.TabularInline):
    model = Citation
    fields = ["source", "relation", "quote", "locator", "note"]
    autocomplete_fields = ["source"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


class CommentInline(admin.TabularInline):
    model = Comment
    fields = ["author", "body", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 0


# --- Articles -----------------------------------------------------------------------------------


def _backfill_action(name: str, description: str, **options):
    """An action queueing backfill ``name`` over the selected articles as a background job (over
    every article when all are selected), then showing the job's progress."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        everything = len(ids) == Article.objects.count()
        job = backfills.start_job(
            name, owner=request.user, article_ids=[] if everything else ids, **options
        )
        return redirect("annotations:job-detail", pk=job.pk)

    action.__name__ = f"backfill_{name}"
    return action


read_figures_action = _backfill_action(
    "figures", "Read the claims' figures and index keys again (background job)"
)
compute_suggestions_action = _backfill_action(
    "suggestions", "Work out check-worthy suggestions again (background job)"
)


@admin.register(Article)
class ArticleAdmin(HistoryAdmin):
    # A title or standfirst saved from a form opened before someone's newer save would revert
    # theirs and move the headline's claims back: refused, as on the article page.
    form = VersionCheckedForm
    actions = [export_report_action, read_figures_action, compute_suggestions_action]
    list_display = ["title", "publisher", "published_on", "state", "claims", "imported_at"]
    list_filter = ["publication", "publisher", "published_on", "imported_at"]
    list_select_related = ["publisher"]
    search_fields = ["title", "publisher__name", "byline", "url", "source_name"]
    date_hierarchy = "published_on"
    autocomplete_fields = ["imported_by", "publisher"]
    readonly_fields = [
        "text_side_by_side",
        "content_hash",
        "raw_encoding",
        "source_name",
        "imported_by",
        "imported_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "title_inferred",
                    "standfirst",
                    "byline",
                    "publisher",
                    "url",
                    "published_on",
                    "language",
                    "section",
                    "notes",
                    "version",
                ]
            },
        ),
        (
            "Text",
            {
                "fields": ["text_side_by_side"],
                "description": "The original file as imported, beside the cleaned text that "
                "claims are anchored in. Neither can be edited here: re-import the file.",
            },
        ),
        (
            "Import",
            {
                "fields": [
                    "source_name",
                    "raw_encoding",
                    "content_hash",
                    "imported_by",
                    "imported_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [ClaimInline]
    change_list_template = "admin/annotations/article/change_list.html"

    # The dashboard's "newest first", read from its index (article_newest_first, PostgreSQL).
    ordering = [F("published_on").desc(nulls_last=True), "-imported_at", "pk"]

    def get_queryset(self, request):
        # State and claims from the article's tally: counting every article's claims for the
        # state column took 24 s of a list page on a desk of 2,000,000 claims.
        return (
            super()
            .get_queryset(request)
            .annotate(
                claim_total=Coalesce(F("tally__claims"), 0),
                review_state=Coalesce(F("tally__review_state"), Value(Article.State.TO_DO)),
            )
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Claims in the headline or the standfirst follow their text, as on the article page.
        changed = [
            part
            for part in (Article.Part.HEADLINE, Article.Part.STANDFIRST)
            if Article.PART_FIELDS[part] in form.changed_data
        ]
        if change and changed:
            _, orphaned = Claim.objects.reanchor(obj, by=request.user, parts=changed)
            for claim in orphaned:
                messages.warning(
                    request,
                    f"Claim #{claim.pk} (“{claim.quote[:60]}”) lost its place in the "
                    f"{claim.get_part_display().lower()}: {claim.orphan_reason}.",
                )

    def has_add_permission(self, request):
        # Articles come from files, through the importer: the upload page replaces "Add".
        return False

    @admin.display(description="state", ordering="review_state")
    def state(self, article):
        return article.review_state_label

    @admin.display(description="claims", ordering="claim_total")
    def claims(self, article):
        return article.claim_total

    @admin.display(description="original and cleaned text")
    def text_side_by_side(self, article):
        # format_html escapes both texts: article text is never trusted as HTML.
        return format_html(
            '<div class="text-compare">'
            '<section><h3>Original ({})</h3><pre class="raw-text">{}</pre></section>'
            '<section><h3>Cleaned body</h3><pre class="clean-text">{}</pre></section>'
            "</div>",
            article.source_name or "file",
            article.raw_text,
            article.body,
        )

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="annotations_article_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        form = ArticleUploadForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST":
            retry_after = ratelimit.hit("import", f"user:{request.user.pk}")
            if retry_after is not None:
                form.add_error(None, f"Too many imports: try again in {retry_after} seconds.")
                status = 429
            elif form.is_valid():
                # A batch of files is a background job: the request only stores them.
                job = start_file_import(
                    form.cleaned_data["files"],
                    owner=request.user,
                    update=form.cleaned_data["update"],
                )
                return redirect(job)
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload article files",
            "opts": self.model._meta,
            "form": form,
            "max_bytes": settings.FACTCHECK_IMPORT_MAX_BYTES,
        }
        return TemplateResponse(
            request, "admin/annotations/article/upload.html", context, status=status
        )


# --- Claims, citations, comments ----------------------------------------------------------------


@admin.register(Claim)
class ClaimAdmin(HistoryAdmin):
    list_display = ["__str__", "article", "state", "verdict", "assignee", "updated_at"]
    list_filter = ["state", "verdict", "category", "updated_at"]
    list_select_related = ["article", "verdict", "assignee"]
    search_fields = ["quote", "statement", "claimant", "article__title"]
    # No date hierarchy: its years are the DISTINCT of every claim's year (3 s on a desk of
    # 2,000,000 claims); the "updated" filter stays. Nor the count of every claim beside a
    # filtered list's.
    show_full_result_count = False
    autocomplete_fields = ["assignee"]
    # The span and the review workflow (two-person approval) are not edited by hand.
    readonly_fields = [
        "article",
        "quote",
        "part",
        "start",
        "end",
        "prefix",
        "suffix",
        "state",
        "verdict",
        "verdict_proposed_by",
        "approved_by",
        "approved_at",
        "created_by",
        "created_at",
        "updated_at",
        "version",
        "orphaned_at",
        "orphan_reason",
        "tags",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "article",
                    "quote",
                    ("part", "start", "end"),
                    "prefix",
                    "suffix",
                    ("orphaned_at", "orphan_reason"),
                ]
            },
        ),
        (
            "Claim",
            {"fields": ["statement", "claimant", "claim_date", "category", "assignee", "tags"]},
        ),
        (
            "Review",
            {
                "fields": [
                    "state",
                    "verdict",
                    "verdict_explanation",
                    "verdict_proposed_by",
                    "sent_back_reason",
                    "approved_by",
                    "approved_at",
                ]
            },
        ),
        (None, {"fields": ["created_by", "created_at", "updated_at", "version"]}),
    ]
    inlines = [CitationInline, CommentInline, RevisionInline]

    def has_add_permission(self, request):
        # Claims are anchored in an article's text: they are made in the reader.
        return False

    def has_change_permission(self, request, obj=None):
        # Claims are edited in the reader only, where every save checks the claim's version
        # and a change to an approved claim waits for a second person's approval; an admin
        # form could silently overwrite a reviewer's newer work or change a published claim
        # alone.
        return False


@admin.register(Citation)
class CitationAdmin(HistoryAdmin):
    list_display = ["source", "relation", "claim_link", "created_by", "created_at"]
    list_filter = ["relation", "created_at"]
    list_select_related = ["source", "claim", "created_by"]
    search_fields = ["source__title", "source__url", "quote", "claim__statement", "claim__quote"]
    # As the claims' list: no date hierarchy (the "created" filter stays), no count of all.
    show_full_result_count = False
    # Newest first, as a source's page lists them: one source's read from its index
    # (citation_source_recent).
    ordering = ["-created_at", "-pk"]
    autocomplete_fields = ["source"]
    readonly_fields = ["claim", "created_by", "created_at"]
    fields = ["claim", "source", "relation", "quote", "locator", "note", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A changed citation changes a claim's evidence: that happens in the reader, where it
        # reopens an approved verdict.
        return False

    @admin.display(description="claim", ordering="claim")
    def claim_link(self, citation):
        link = reverse("admin:annotations_claim_change", args=[citation.claim_id])
        return format_html('<a href="{}">{}</a>', link, citation.claim)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "created_at"]
    list_select_related = ["author", "claim"]
    search_fields = ["body", "author__username"]
    list_filter = ["created_at"]
    date_hierarchy = "created_at"
    readonly_fields = ["claim", "author", "created_at"]

    def has_add_permission(self, request):
        return False
