"""Changes to approved claims (``ClaimRevision``), read-only: they are proposed, approved and
sent back in the claim panel, where the two-person rule and the claim's version are checked.
Here they are the record of every change made to a published claim, and by whom."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from annotations.admin.common import HistoryAdmin
from annotations.models import ClaimRevision, ProposedCitation


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProposedCitationInline(ReadOnlyInline):
    model = ProposedCitation
    verbose_name = "source to cite"
    verbose_name_plural = "Sources to cite"
    fields = ["source", "relation", "quote", "locator", "note"]
    readonly_fields = fields


class RevisionInline(ReadOnlyInline):
    """On a claim's admin page: the changes proposed to it after its approval."""

    model = ClaimRevision
    verbose_name = "change after approval"
    verbose_name_plural = "Changes after approval"
    fields = ["state", "changes", "reason", "proposed_by", "decided_by", "decided_at"]
    readonly_fields = fields
    show_change_link = True


@admin.register(ClaimRevision)
class ClaimRevisionAdmin(HistoryAdmin):
    list_display = [
        "__str__",
        "claim_link",
        "state",
        "reason",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["state", "decided_at", "proposed_at"]
    list_select_related = ["claim", "proposed_by", "decided_by"]
    search_fields = ["reason", "decision_reason", "claim__statement"]
    date_hierarchy = "proposed_at"
    fields = [
        "claim",
        "state",
        "reason",
        "changes",
        "removed_citations",
        "previous",
        "proposed_by",
        "proposed_at",
        "base_version",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    readonly_fields = fields
    inlines = [ProposedCitationInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Decided in the claim panel only: by an editor other than the author, on the claim's
        # current version. An admin form would let one person apply a change alone.
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of changes to published claims is kept

    @admin.display(description="claim", ordering="claim")
    def claim_link(self, revision):
        link = reverse("admin:annotations_claim_change", args=[revision.claim_id])
        return format_html('<a href="{}">{}</a>', link, revision.claim)
