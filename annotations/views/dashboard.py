from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations.models import Article
from annotations.roles import reviewer_required


@reviewer_required
def article_list(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.search(request.GET.get("q", "")).only(
        "title", "publisher", "published_on", "review_state"
    )
    page = Paginator(articles, 25).get_page(request.GET.get("page"))
    return render(request, "annotations/article_list.html", {"page": page})
