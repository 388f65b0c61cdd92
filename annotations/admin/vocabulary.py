"""The verdict vocabulary: add, reorder, recolour, retire, and set each verdict's rating."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html

from annotations.admin.common import HistoryAdmin
from annotations.models import Verdict


class ColourInput(forms.TextInput):
    input_type = "color"


def swatch(colour: str):
    # An SVG fill attribute, not a style attribute: the CSP allows no inline styles.
    return format_html(
        '<svg class="verdict-swatch" viewBox="0 0 16 16" aria-hidden="true">'
        '<rect width="16" height="16" rx="3" fill="{}" /></svg>',
        colour,
    )


@admin.register(Verdict)
class VerdictAdmin(HistoryAdmin):
    list_display = ["label", "sample", "colour", "rating", "order", "is_active", "claim_count"]
    list_display_links = ["label"]
    list_editable = ["colour", "rating", "order", "is_active"]
    list_filter = ["is_active", "rating"]
    search_fields = ["label", "description"]
    fields = ["label", "description", "colour", "rating", "order", "is_active"]
    actions = ["retire", "reinstate"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_total=Count("claims"))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "colour":
            kwargs["widget"] = ColourInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="swatch")
    def sample(self, verdict):
        return swatch(verdict.colour)

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, verdict):
        return verdict.claim_total

    @admin.action(description="Retire selected verdicts (kept on claims, no longer offered)")
    def retire(self, request, queryset):
        for verdict in queryset.filter(is_active=True):
            verdict.is_active = False
            verdict._change_reason = "Retired"
            verdict.save()
        self.message_user(request, "Retired the selected verdicts.", messages.SUCCESS)

    @admin.action(description="Offer selected verdicts again")
    def reinstate(self, request, queryset):
        for verdict in queryset.filter(is_active=False):
            verdict.is_active = True
            verdict._change_reason = "Offered again"
            verdict.save()
        self.message_user(request, "The selected verdicts are offered again.", messages.SUCCESS)
