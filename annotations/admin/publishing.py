"""Publishers (the records articles point to) and the desk's methodology, shown on every public
fact-check."""

from django.contrib import admin
from django.db.models import Count

from annotations.admin.common import HistoryAdmin
from annotations.models import Methodology, Publisher


@admin.register(Publisher)
class PublisherAdmin(HistoryAdmin):
    list_display = ["name", "url", "country", "article_count"]
    list_filter = ["country"]
    search_fields = ["name", "url"]
    fields = ["name", "url", "country"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_total=Count("articles"))

    @admin.display(description="articles", ordering="article_total")
    def article_count(self, publisher):
        return publisher.article_total


@admin.register(Methodology)
class MethodologyAdmin(HistoryAdmin):
    """One text per desk: it can be written and changed, never deleted or doubled."""

    fields = ["text", "corrections_policy", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Methodology.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
