"""The public addresses exports point to: an article's report page, one claim on it."""

from django.conf import settings
from django.urls import reverse


def public_base_url() -> str:
    return settings.FACTCHECK_PUBLIC_BASE_URL.rstrip("/")


def report_url(article_id: int, claim_id: int | None = None) -> str:
    """The public URL of an article's report page, or of one claim on it."""
    url = public_base_url() + reverse("annotations:article-report", args=[article_id])
    return f"{url}#claim-{claim_id}" if claim_id is not None else url


class ReportUrls(dict):
    """``report_url`` per article, worked out once: ``reverse()`` is slow to call per claim
    (and per article of a large export: the id is put into the URL of article 0)."""

    def __missing__(self, article_id: int) -> str:
        if not hasattr(self, "around_id"):
            url = report_url(0)
            self.around_id = url.rsplit("/0/", 1) if "/0/" in url else None
        if self.around_id is None:
            url = report_url(article_id)
        else:
            url = f"{self.around_id[0]}/{int(article_id)}/{self.around_id[1]}"
        self[article_id] = url
        return url
