from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotations.models import Article
from annotations.roles import reviewer_required


@reviewer_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    paragraphs = article.body.split("\n\n")
    return render(
        request, "annotations/article_detail.html", {"article": article, "paragraphs": paragraphs}
    )
