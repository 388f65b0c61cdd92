from django.urls import path

from annotations.views import articles

app_name = "annotations"

urlpatterns = [
    # Articles
    path("", articles.article_list, name="article-list"),
    path("articles/<int:pk>/", articles.article_detail, name="article-detail"),
]
