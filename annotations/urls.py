from django.urls import path

from annotations import converters  # noqa: F401 - registers <id:…>, used below
from annotations.views import (
    account,
    articles,
    citations,
    claim_table,
    claims,
    dashboard,
    exports,
    families,
    inbox,
    jobs,
    publishing,
    search,
    sources,
    suggestions,
)

app_name = "annotations"

urlpatterns = [
    # The account page: personal API tokens
    path("account/", account.account, name="account"),
    path("account/tokens/<id:pk>/revoke/", account.token_revoke, name="token-revoke"),
    # Dashboard
    path("", dashboard.article_list, name="article-list"),
    # Inbox: notifications, e-mail settings, people to mention
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.inbox_mark_all_read, name="inbox-mark-all-read"),
    path("inbox/settings/", inbox.notification_settings, name="notification-settings"),
    path("inbox/<id:pk>/", inbox.notification_open, name="notification-open"),
    path("people/", inbox.people_search, name="people-search"),
    # Search
    path("search/", search.search_page, name="search"),
    # The claims table: every claim of every article
    path("claims/", claim_table.claim_list, name="claim-list"),
    path("claims/assign/", claim_table.claim_bulk_assign, name="claim-bulk-assign"),
    path("claims/family/", claim_table.claim_bulk_family, name="claim-bulk-family"),
    # Article reader
    path("articles/<id:pk>/", articles.article_detail, name="article-detail"),
    path("articles/<id:pk>/original/", articles.article_original, name="article-original"),
    path("articles/<id:pk>/live/", articles.article_live, name="article-live"),
    path("verdicts.css", articles.verdict_styles, name="verdict-styles"),
    # Article details and publication
    path("articles/<id:pk>/details/", publishing.article_details, name="article-details"),
    path(
        "articles/<id:pk>/publication/",
        publishing.article_publication,
        name="article-publication",
    ),
    path("articles/<id:pk>/publish/", publishing.article_publish, name="article-publish"),
    path("articles/<id:pk>/unpublish/", publishing.article_unpublish, name="article-unpublish"),
    path("publishers/search/", publishing.publisher_search, name="publisher-search"),
    # The public fact-check pages (no sign-in)
    path("fact-checks/<slug:slug>/", publishing.fact_check, name="fact-check"),
    # Check-worthy suggestions
    path(
        "articles/<id:article_pk>/suggestions/<id:pk>/dismiss/",
        suggestions.suggestion_dismiss,
        name="suggestion-dismiss",
    ),
    path(
        "articles/<id:article_pk>/suggestions/<id:pk>/checks/",
        suggestions.suggestion_checks,
        name="suggestion-checks",
    ),
    # Claims
    path("articles/<id:article_pk>/claims/new/", claims.claim_create, name="claim-create"),
    path("articles/<id:article_pk>/claims/<id:pk>/", claims.claim_detail, name="claim-detail"),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/reattach/",
        articles.claim_reattach,
        name="claim-reattach",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/edit/",
        claims.claim_update,
        name="claim-update",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/verdict/",
        claims.claim_propose,
        name="claim-propose",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/approve/",
        claims.claim_approve,
        name="claim-approve",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/send-back/",
        claims.claim_send_back,
        name="claim-send-back",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/revision/approve/",
        claims.claim_revision_approve,
        name="claim-revision-approve",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/revision/send-back/",
        claims.claim_revision_send_back,
        name="claim-revision-send-back",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/revision/withdraw/",
        claims.claim_revision_withdraw,
        name="claim-revision-withdraw",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/dismiss/",
        claims.claim_dismiss,
        name="claim-dismiss",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/reopen/",
        claims.claim_reopen,
        name="claim-reopen",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/delete/",
        claims.claim_delete,
        name="claim-delete",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/comments/",
        claims.claim_comment,
        name="claim-comment",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/history/",
        claims.claim_history,
        name="claim-history",
    ),
    # Claims across articles: figures, related claims, families, conflicts
    path(
        "articles/<id:article_pk>/claims/<id:pk>/related/",
        families.claim_related,
        name="claim-related",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/figures/<id:figure_pk>/",
        families.claim_figure_update,
        name="claim-figure-update",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/figures/<id:figure_pk>/remove/",
        families.claim_figure_remove,
        name="claim-figure-remove",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/related/confirm/",
        families.claim_proposal_confirm,
        name="claim-proposal-confirm",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/related/reject/",
        families.claim_proposal_reject,
        name="claim-proposal-reject",
    ),
    path("families/<id:pk>/", families.family_detail, name="family-detail"),
    path("families/<id:pk>/edit/", families.family_update, name="family-update"),
    path("families/<id:pk>/remove/", families.family_remove_member, name="family-remove-member"),
    path("families/<id:pk>/split/", families.family_split, name="family-split"),
    path("families/<id:pk>/merge/", families.family_merge, name="family-merge"),
    path("families/<id:pk>/cite/", families.family_cite, name="family-cite"),
    path("families/<id:pk>/resolve/", families.family_resolve, name="family-resolve"),
    # Citations
    path(
        "articles/<id:article_pk>/claims/<id:pk>/citations/new/",
        citations.citation_create,
        name="citation-create",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/citations/<id:citation_pk>/delete/",
        citations.citation_delete,
        name="citation-delete",
    ),
    path(
        "articles/<id:article_pk>/claims/<id:pk>/citations/published/",
        citations.citation_from_published,
        name="citation-from-published",
    ),
    path("sources/search/", citations.source_search, name="source-search"),
    # Sources
    path("sources/", sources.source_list, name="source-list"),
    path("sources/<id:pk>/", sources.source_detail, name="source-detail"),
    path("sources/<id:pk>/reliability/", sources.source_reliability, name="source-reliability"),
    path("sources/<id:pk>/snapshots/", sources.snapshot_create, name="snapshot-create"),
    path("snapshots/<id:pk>/download/", sources.snapshot_download, name="snapshot-download"),
    path("snapshots/<id:pk>/rendering/", sources.snapshot_rendering, name="snapshot-rendering"),
    # Background jobs, and the work from links they do
    path("jobs/", jobs.job_list, name="job-list"),
    path("jobs/<id:pk>/", jobs.job_detail, name="job-detail"),
    path("jobs/<id:pk>/cancel/", jobs.job_cancel, name="job-cancel"),
    path("jobs/<id:pk>/download/", jobs.job_download, name="job-download"),
    path("articles/import-link/", jobs.article_import_link, name="article-import-link"),
    path("sources/<id:pk>/archive/", jobs.source_archive, name="source-archive"),
    # Exports and reports
    path("exports/<str:format>/", exports.export, name="export"),
    path("exports/<str:format>/start/", exports.export_start, name="export-start"),
    path("articles/<id:pk>/report/", exports.article_report, name="article-report"),
]
