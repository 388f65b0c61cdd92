from django.urls import path

from annotations.views import articles, dashboard, exports

app_name = "annotations"

urlpatterns = [
    # Dashboard
    path("", dashboard.article_list, name="article-list"),
    # Article reader
    path("articles/<int:pk>/", articles.article_detail, name="article-detail"),
    # Exports and reports
    path("exports/<str:format>/", exports.export, name="export"),
    path("articles/<int:pk>/report/", exports.article_report, name="article-report"),
]
