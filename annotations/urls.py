from django.urls import path

from annotations.views import articles, citations, claims, dashboard, exports, sources

app_name = "annotations"

urlpatterns = [
    # Dashboard
    path("", dashboard.article_list, name="article-list"),
    # Article reader
    path("articles/<int:pk>/", articles.article_detail, name="article-detail"),
    path("verdicts.css", articles.verdict_styles, name="verdict-styles"),
    # Claims
    path("articles/<int:article_pk>/claims/new/", claims.claim_create, name="claim-create"),
    path("articles/<int:article_pk>/claims/<int:pk>/", claims.claim_detail, name="claim-detail"),
    path(
        "articles/<int:article_pk>/claims/<int:pk>/edit/",
        claims.claim_update,
        name="claim-update",
    ),
    path(
        "articles/<int:article_pk>/claims/<int:pk>/verdict/",
        claims.claim_propose,
        name="claim-propose",
    ),
    path(
        "articles/<int:article_pk>/claims/<int:pk>/approve/",
        claims.claim_approve,
        name="claim-approve",
    ),
    path(
        "articles/<int:article_pk>/claims/<int:pk>/send-back/",
        claims.claim_send_back,
        name="claim-send-back",
    ),
    path(
        "articles/<int:article_pk>/claims/<int:pk>/delete/",
        claims.claim_delete,
        name="claim-delete",
    ),
    path(
        "articles/<int:article_pk>/claims/<int:pk>/comments/",
        claims.claim_comment,
        name="claim-comment",
    ),
    path(
        "articles/<int:article_pk>/claims/<int:pk>/history/",
        claims.claim_history,
        name="claim-history",
    ),
    # Citations
    path(
        "articles/<int:article_pk>/claims/<int:pk>/citations/new/",
        citations.citation_create,
        name="citation-create",
    ),
    path(
        "articles/<int:article_pk>/claims/<int:pk>/citations/<int:citation_pk>/delete/",
        citations.citation_delete,
        name="citation-delete",
    ),
    path("sources/search/", citations.source_search, name="source-search"),
    # Sources
    path("sources/", sources.source_list, name="source-list"),
    path("sources/<int:pk>/", sources.source_detail, name="source-detail"),
    path("sources/<int:pk>/reliability/", sources.source_reliability, name="source-reliability"),
    path("sources/<int:pk>/snapshots/", sources.snapshot_create, name="snapshot-create"),
    path("snapshots/<int:pk>/download/", sources.snapshot_download, name="snapshot-download"),
    # Exports and reports
    path("exports/<str:format>/", exports.export, name="export"),
    path("articles/<int:pk>/report/", exports.article_report, name="article-report"),
]
