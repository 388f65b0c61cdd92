from django.urls import path

from annotations.views import articles, dashboard

app_name = "annotations"

urlpatterns = [
    # Dashboard
    path("", dashboard.article_list, name="article-list"),
    # Article reader
    path("articles/<int:pk>/", articles.article_detail, name="article-detail"),
]
