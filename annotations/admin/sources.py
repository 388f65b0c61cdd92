"""The source library in the admin: usage columns and filters, duplicates pointed out and merged,
snapshots uploaded and listed, CSV import/export."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from import_export import resources
from import_export.admin import ImportExportMixin

from annotations import snapshots
from annotations.admin import spreadsheets
from annotations.admin.common import HistoryAdmin, PageOfRowsInline, VersionCheckedForm
from annotations.forms import CompleteForm
from annotations.models import Citation, Source, SourceSnapshot
from annotations.urlnorm import is_http_url, normalize_url


def url_link(url: str, text: str | None = None):
    """A link for http(s) URLs only; anything else is shown as escaped text."""
    if not url:
        return "—"
    if not is_http_url(url):
        return url
    return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', url, text or url)


# --- Forms --------------------------------------------------------------------------------------


class SourceAdminForm(CompleteForm, VersionCheckedForm):
    """The admin's source form, with the app's rules: it carries the version it was loaded at
    (a save based on an older one is refused and the newer values are shown, as on the
    source's page), and a field missing from the POST is an error, never "blank it"."""

    # Plain text fields, so the normaliser's messages (e.g. which scheme was refused) are shown
    # rather than a bare "Enter a valid URL".
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text=Source._meta.get_field("url").help_text,
        widget=forms.TextInput(attrs={"class": "vURLField"}),
    )
    archive_url = forms.CharField(
        label="archive URL",
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"class": "vURLField"}),
    )

    class Meta:
        model = Source
        fields = [
            "title",
            "url",
            "publisher",
            "kind",
            "published_on",
            "accessed_on",
            "reliability",
            "reliability_rationale",
            "archive_url",
            "notes",
        ]

    def clean_url(self):
        return normalize_url(self.cleaned_data["url"])

    def clean_archive_url(self):
        value = self.cleaned_data["archive_url"].strip()
        return normalize_url(value) if value else ""

    def _post_clean(self):
        super()._post_clean()
        # Source.clean reports a duplicate with the existing source's id; point to it here.
        errors = self._errors.get("url") if self._errors else None
        if not errors:
            return
        for index, error in enumerate(errors.data):
            if getattr(error, "code", None) == "duplicate" and error.params:
                link = reverse("admin:annotations_source_change", args=[error.params["pk"]])
                errors.data[index] = ValidationError(
                    format_html(
                        "This page is already in the library as "
                        '<a href="{}">“{}” (source #{})</a>. Edit that one instead.',
                        link,
                        error.params["title"],
                        error.params["pk"],
                    ),
                    code="duplicate",
                )


class SnapshotUploadForm(forms.ModelForm):
    class Meta:
        model = SourceSnapshot
        fields = ["file", "taken_at"]
        help_texts = {
            "file": "PDF, HTML, PNG or plain text; the type is read from the content.",
            "taken_at": "When the copy was made.",
        }

    upload_info = None

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded and not self.instance.pk:
            self.upload_info = snapshots.inspect_upload(uploaded)
        return uploaded

    def save(self, commit=True):
        if self.upload_info:
            snapshots.apply_upload(self.instance, self.upload_info)
        return super().save(commit)


# --- Inlines ------------------------------------------------------------------------------------


class SnapshotInline(admin.TabularInline):
    """Stored snapshots, read-only: a file is never replaced, only added or deleted."""

    model = SourceSnapshot
    verbose_name_plural = "Snapshots"
    extra = 0
    fields = ["download", "content_type", "size", "sha256", "taken_at", "original_name"]
    readonly_fields = fields
    ordering = ["-taken_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="file")
    def download(self, snapshot):
        return format_html(
            '<a href="{}">Download</a>',
            reverse("annotations:snapshot-download", args=[snapshot.pk]),
        )


class SnapshotUploadInline(admin.TabularInline):
    model = SourceSnapshot
    form = SnapshotUploadForm
    verbose_name = "new snapshot"
    verbose_name_plural = "Upload a snapshot"
    extra = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class UsageInline(PageOfRowsInline):
    """Where the source is used: the claims citing it, newest citation first."""

    model = Citation
    verbose_name = "citation"
    verbose_name_plural = "Used by these claims"
    fields = ["claim", "article", "claim_state", "relation", "locator"]
    readonly_fields = fields
    show_change_link = True
    rows_order = ["-created_at", "-pk"]  # the (source, -created_at, -id) index
    rows_caption = "The {shown} newest of {total} citations."

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim__article", "claim__verdict")

    @admin.display(description="article")
    def article(self, citation):
        article = citation.claim.article
        link = reverse("admin:annotations_article_change", args=[article.pk])
        return format_html('<a href="{}">{}</a>', link, article.title)

    @admin.display(description="claim state")
    def claim_state(self, citation):
        claim = citation.claim
        if claim.verdict_id:
            return f"{claim.get_state_display()} · {claim.verdict}"
        return claim.get_state_display()


# --- Filters ------------------------------------------------------------------------------------


class UsageFilter(admin.SimpleListFilter):
    title = "usage"
    parameter_name = "usage"

    def lookups(self, request, model_admin):
        return [
            ("unused", "Unused sources"),
            ("cited", "Cited by claims"),
            ("approved", "Backing approved verdicts"),
        ]

    def queryset(self, request, queryset):
        # The changelist queryset carries the usage annotations (SourceQuerySet.with_usage).
        match self.value():
            case "unused":
                return queryset.filter(claim_count=0)
            case "cited":
                return queryset.filter(claim_count__gt=0)
            case "approved":
                return queryset.filter(approved_verdict_count__gt=0)
        return queryset


class HasSnapshotFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("yes", "Has an archive URL or snapshot"), ("no", "Not archived")]

    def queryset(self, request, queryset):
        archived = Q(Exists(SourceSnapshot.objects.filter(source=OuterRef("pk")))) | ~Q(
            archive_url=""
        )
        if self.value() == "yes":
            return queryset.filter(archived)
        if self.value() == "no":
            return queryset.exclude(archived)
        return queryset


# --- CSV import/export --------------------------------------------------------------------------


class SourceResource(resources.ModelResource):
    """Sources as CSV rows, matched on the normalised URL: a row for a page already in the
    library updates it instead of adding a duplicate."""

    class Meta:
        model = Source
        fields = [
            "url",
            "title",
            "publisher",
            "kind",
            "published_on",
            "accessed_on",
            "reliability",
            "reliability_rationale",
            "archive_url",
            "notes",
        ]
        export_order = fields
        import_id_fields = ["url"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        self._seen_urls = {}
        missing = {"url", "title"} - set(dataset.headers or [])
        if missing:
            raise ValidationError(
                f"The file needs the columns {', '.join(sorted(missing))} "
                f"(it has: {', '.join(dataset.headers or []) or 'none'})."
            )

    def before_import_row(self, row, row_number=None, **kwargs):
        try:
            row["url"] = normalize_url(row.get("url") or "")
        except ValidationError as error:
            raise ValidationError({"url": error.messages}) from None
        if row.get("archive_url"):
            try:
                row["archive_url"] = normalize_url(row["archive_url"])
            except ValidationError as error:
                raise ValidationError({"archive_url": error.messages}) from None
        earlier = self._seen_urls.setdefault(row["url"], row_number)
        if earlier != row_number:
            raise ValidationError(
                {"url": f"Row {earlier} has the same page ({row['url']}); keep one of the two."}
            )

    def before_save_instance(self, instance, row, **kwargs):
        if not instance.pk and kwargs.get("user"):
            instance.created_by = kwargs["user"]


class SourceChangeList(ChangeList):
    """The source list counts each listed source's usage (``SourceQuerySet.with_usage``) for its
    columns, its usage filter, its sorts and its merge action. The admin's pages of one source
    (change, history, delete) show no counts and do not pay for them: the history of a source
    cited 5,481 times took 50.9 ms, most of it counting (make bench-scale)."""

    @property
    def root_queryset(self):
        return self._root_queryset

    @root_queryset.setter
    def root_queryset(self, queryset):
        # Set once by ChangeList.__init__, from SourceAdmin.get_queryset.
        self._root_queryset = queryset.with_usage()


# --- The source admin ---------------------------------------------------------------------------


@admin.register(Source)
class SourceAdmin(ImportExportMixin, HistoryAdmin):
    form = SourceAdminForm
    resource_classes = [SourceResource]
    # Cells that a spreadsheet would run as formulas leave as text (see spreadsheets.py).
    import_formats = [spreadsheets.CSV]
    export_formats = [spreadsheets.CSV]

    list_display = [
        "title",
        "link",
        "kind",
        "reliability",
        "claim_count",
        "approved_verdict_count",
        "updated_at",
    ]
    list_display_links = ["title"]
    list_filter = [UsageFilter, "reliability", "kind", HasSnapshotFilter, "created_at"]
    search_fields = ["title", "url", "publisher", "notes"]
    # No date hierarchy: its years were the DISTINCT of every source's creation year, 58 ms of
    # the list's 239 on the 2,000,000-claim desk (50,000 sources; make bench-scale). The
    # "created at" filter (today, past 7 days, this month, this year) stays.
    readonly_fields = ["created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "url", "publisher", "kind", "published_on", "accessed_on"]}),
        (
            "Reliability",
            {
                "fields": ["reliability", "reliability_rationale"],
                "description": "Primary official data › peer-reviewed research › established "
                "outlet › unverified › known unreliable. Say why in the rationale.",
            },
        ),
        ("Archive", {"fields": ["archive_url"]}),
        (None, {"fields": ["notes", "created_by", "created_at", "updated_at", "version"]}),
    ]
    inlines = [SnapshotInline, SnapshotUploadInline, UsageInline]
    actions = ["merge_sources"]
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return SourceChangeList

    @admin.display(description="URL")
    def link(self, source):
        return url_link(source.url)

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, source):
        return source.claim_count

    @admin.display(description="approved verdicts", ordering="approved_verdict_count")
    def approved_verdict_count(self, source):
        return source.approved_verdict_count

    def save_model(self, request, obj, form, change):
        if not change and not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is SourceSnapshot:
            for snapshot in formset.save(commit=False):
                snapshot.uploaded_by = request.user
                snapshot.save()
            for snapshot in formset.deleted_objects:
                snapshot.delete()  # its file too (models.delete_snapshot_file)
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description="Merge selected duplicate sources…")
    def merge_sources(self, request, queryset):
        sources = list(queryset.order_by("created_at", "pk"))
        if len(sources) < 2:
            self.message_user(request, "Select at least two sources to merge.", messages.WARNING)
            return None
        if request.POST.get("confirm") == "yes":
            keep = next((s for s in sources if str(s.pk) == request.POST.get("keep")), None)
            if keep is None:
                self.message_user(request, "Choose the source to keep.", messages.ERROR)
            else:
                moved = sum(s.claim_count for s in sources if s.pk != keep.pk)
                with transaction.atomic():
                    for source in sources:
                        if source.pk != keep.pk:
                            source.merge_into(keep, by=request.user)
                self.message_user(
                    request,
                    f"Merged {len(sources) - 1} source(s) into “{keep}”; "
                    f"citations from {moved} claim(s) moved.",
                    messages.SUCCESS,
                )
                return None
        suggested = max(sources, key=lambda s: (s.claim_count, -s.pk))
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge duplicate sources",
            "opts": self.model._meta,
            "sources": sources,
            "suggested": suggested,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "merge_sources",
        }
        return TemplateResponse(request, "admin/annotations/source/merge_sources.html", context)
