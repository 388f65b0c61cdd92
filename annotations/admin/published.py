"""Published fact-checks: other organisations' ClaimReviews, imported by admins (files, saved
pages, feeds) so that the claim panel points at the ones that checked the same claim."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from annotations import ratelimit
from annotations.admin.common import MultipleFileField
from annotations.importers.claimreview import SUPPORTED_EXTENSIONS, import_files
from annotations.models import PublishedReview


class PublishedReviewUploadForm(forms.Form):
    files = MultipleFileField(
        label="Files",
        allow_empty_file=True,  # the importer refuses an empty file on its own line
        help_text=f"One or more {', '.join(SUPPORTED_EXTENSIONS)} files: JSON-LD ClaimReview "
        "markup, a ClaimReview data feed (a dataFeedElement list) or saved fact-check pages "
        "(select every file of a folder). A bad file is refused whole; pages without "
        "ClaimReview are skipped and counted.",
    )


@admin.register(PublishedReview)
class PublishedReviewAdmin(admin.ModelAdmin):
    list_display = ["claim_reviewed", "organisation", "rating_shown", "reviewed_on", "claimant"]
    list_filter = ["reviewed_on", "imported_at"]
    search_fields = ["claim_reviewed", "organisation", "claimant", "url"]
    date_hierarchy = "reviewed_on"
    readonly_fields = ["link", "figures", "source_name", "imported_by", "imported_at", "updated_at"]
    change_list_template = "admin/annotations/publishedreview/change_list.html"

    # Reviews come from files and are kept once by URL: they are imported, not typed, and
    # importing again is how one changes.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="rating", ordering="rating")
    def rating_shown(self, review):
        return review.rating_label

    @admin.display(description="link")
    def link(self, review):
        if not review.url_is_link:
            return review.url
        return format_html(
            '<a href="{}" rel="noopener noreferrer nofollow">{}</a>', review.url, review.url
        )

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="annotations_publishedreview_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        form = PublishedReviewUploadForm(request.POST or None, request.FILES or None)
        result = None
        status = 200
        if request.method == "POST":
            retry_after = ratelimit.hit("import", f"user:{request.user.pk}")
            if retry_after is not None:
                form.add_error(None, f"Too many imports: try again in {retry_after} seconds.")
                status = 429
            elif form.is_valid():
                result = self._import(request, form.cleaned_data["files"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Import published fact-checks",
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "max_bytes": settings.FACTCHECK_FACT_CHECKS_MAX_BYTES,
        }
        return TemplateResponse(
            request, "admin/annotations/publishedreview/upload.html", context, status=status
        )

    def _import(self, request, uploaded_files):
        limit = settings.FACTCHECK_FACT_CHECKS_MAX_BYTES
        files, too_large = [], []
        for uploaded in uploaded_files:
            if uploaded.size > limit:
                too_large.append(uploaded.name)
            else:
                files.append((uploaded.name, uploaded.read()))
        result = import_files(files, user=request.user)
        result.files += len(too_large)
        result.refused += [(name, "the file is too large") for name in too_large]
        level = messages.WARNING if result.failed or result.refused else messages.SUCCESS
        self.message_user(request, result.summary(), level)
        return result
