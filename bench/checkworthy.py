"""`python -m bench.checkworthy`: how well the check-worthy suggestions pick the sentences a
fact-checker would check, and how fast they are worked out.

The labelled set is ``bench/checkworthy_set/*.txt``: news articles written for it (local
news, statistics releases, an opinion column, an interview, a review, a live blog, a press
release with its boilerplate, an obituary, an explainer…). Each line is one sentence with a
two-character label: ``+`` a fact-checker would check it, ``-`` not; ``f`` it states a figure
(a count, an amount, a share, a change), a space otherwise. A blank line ends a paragraph;
``#`` lines are the title and what kind of article it is.

An article's text is its sentences joined by spaces, paragraphs by a blank line, and it goes
through ``checkworthy.assess`` as an article body does. A labelled sentence takes the score of
the sentence the segmenter found it in (the highest, should the segmenter have split it).
Per article:

- precision@10: of the ten highest-scoring sentences, the share labelled ``+`` (at k = the
  number of ``+`` sentences when an article has fewer than ten, so that a perfect ranking
  scores 1);
- precision, recall and F1 of the suggested sentences (score ≥ ``checkworthy.THRESHOLD``)
  against the ``+`` labels;

and over the whole set, the recall of the sentences stating a figure (``f``). Options:
``--json`` prints the report as JSON; ``--set DIR`` reads another folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SET = Path(__file__).resolve().parent / "checkworthy_set"
#: The goals of issue 15.
PRECISION_AT_10_GOAL = 0.8
FIGURE_RECALL_GOAL = 0.8
#: Suggestions for a 25 KB article, at import.
TARGET_MS = 30.0


@dataclass(frozen=True)
class Labelled:
    start: int
    end: int
    worthy: bool
    figure: bool
    text: str


@dataclass
class LabelledArticle:
    name: str
    title: str
    kind: str
    text: str
    sentences: list[Labelled]


def load_set(folder: Path = SET) -> list[LabelledArticle]:
    articles = []
    for path in sorted(folder.glob("*.txt")):
        title, kind = "", ""
        paragraphs: list[list[tuple[str, bool, bool]]] = [[]]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("# kind:"):
                kind = line.removeprefix("# kind:").strip()
            elif line.startswith("# "):
                title = line[2:].strip()
            elif not line.strip():
                if paragraphs[-1]:
                    paragraphs.append([])
            elif len(line) > 3 and line[0] in "+-" and line[1] in "f " and line[2] == " ":
                paragraphs[-1].append((line[3:].strip(), line[0] == "+", line[1] == "f"))
            else:
                raise ValueError(f"{path.name}:{number}: not a labelled sentence: {line!r}")
        sentences, parts, position = [], [], 0
        for paragraph in filter(None, paragraphs):
            if parts:
                parts.append("\n\n")
                position += 2
            for index, (sentence, worthy, figure) in enumerate(paragraph):
                if index:
                    parts.append(" ")
                    position += 1
                sentences.append(
                    Labelled(position, position + len(sentence), worthy, figure, sentence)
                )
                parts.append(sentence)
                position += len(sentence)
        articles.append(LabelledArticle(path.stem, title, kind, "".join(parts), sentences))
    return articles


@dataclass
class ArticleScore:
    name: str
    kind: str
    sentences: int
    worthy: int
    figures: int
    suggested: int
    precision_at_10: float
    precision: float
    recall: float
    f1: float
    figures_found: int
    missed: list[str]  # labelled + but not suggested
    wrong: list[str]  # suggested but labelled -


def score_article(article: LabelledArticle) -> ArticleScore:
    from annotations import checkworthy

    found = checkworthy.assess(article.text)
    scores = []
    for labelled in article.sentences:
        overlapping = [a.score for a in found if a.start < labelled.end and a.end > labelled.start]
        scores.append(max(overlapping, default=0.0))
    threshold = checkworthy.THRESHOLD
    worthy = sum(s.worthy for s in article.sentences)
    ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    k = min(10, worthy) or 10
    precision_at_10 = sum(article.sentences[i].worthy for i in ranked[:k]) / k
    suggested = [i for i, score in enumerate(scores) if score >= threshold]
    hits = sum(article.sentences[i].worthy for i in suggested)
    precision = hits / len(suggested) if suggested else 0.0
    recall = hits / worthy if worthy else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ArticleScore(
        name=article.name,
        kind=article.kind,
        sentences=len(article.sentences),
        worthy=worthy,
        figures=sum(s.figure for s in article.sentences),
        suggested=len(suggested),
        precision_at_10=round(precision_at_10, 3),
        precision=round(precision, 3),
        recall=round(recall, 3),
        f1=round(f1, 3),
        figures_found=sum(article.sentences[i].figure for i in suggested),
        missed=[s.text for i, s in enumerate(article.sentences) if s.worthy and i not in suggested],
        wrong=[article.sentences[i].text for i in suggested if not article.sentences[i].worthy],
    )


@dataclass
class Evaluation:
    articles: list[ArticleScore]

    @property
    def sentences(self) -> int:
        return sum(a.sentences for a in self.articles)

    @property
    def precision_at_10(self) -> float:
        return round(statistics.mean(a.precision_at_10 for a in self.articles), 3)

    @property
    def recall(self) -> float:
        return round(statistics.mean(a.recall for a in self.articles), 3)

    @property
    def f1(self) -> float:
        return round(statistics.mean(a.f1 for a in self.articles), 3)

    @property
    def figure_recall(self) -> float:
        figures = sum(a.figures for a in self.articles)
        return round(sum(a.figures_found for a in self.articles) / figures, 3) if figures else 1.0

    def as_dict(self) -> dict:
        return {
            "sentences": self.sentences,
            "precision_at_10": self.precision_at_10,
            "recall": self.recall,
            "f1": self.f1,
            "figure_recall": self.figure_recall,
            "articles": [asdict(a) for a in self.articles],
        }


def evaluate(folder: Path = SET) -> Evaluation:
    return Evaluation([score_article(article) for article in load_set(folder)])


def article_of_size(size: int = 25_000, folder: Path = SET) -> str:
    """A news article of about ``size`` characters: the labelled set's articles one after
    another (a real article's density of figures, quotes and boilerplate)."""
    texts = [article.text for article in load_set(folder)]
    body, index = "", 0
    while len(body) < size:
        body += ("\n\n" if body else "") + texts[index % len(texts)]
        index += 1
    return body[: body.rfind("\n\n", 0, size)] if len(body) > size else body


def median_ms(call, runs: int, clock=time.perf_counter) -> float:
    call()
    times = []
    for _ in range(runs):
        started = clock()
        call()
        times.append((clock() - started) * 1000)
    return statistics.median(times)


def results(quick: bool):
    """The figures of ``make bench``: the evaluation, and the time to work out and store the
    suggestions of a 25 KB article (an article row written first; the database is the
    benchmark's)."""
    from annotations import checkworthy
    from annotations.figures import extract_figures
    from annotations.models import Article, Suggestion
    from bench.measure import Result

    evaluation = evaluate()
    out = [
        Result(
            f"check-worthy suggestions: precision@10, mean of {len(evaluation.articles)} "
            f"articles ({evaluation.sentences} labelled sentences)",
            passed=evaluation.precision_at_10 >= PRECISION_AT_10_GOAL,
            note=f"{evaluation.precision_at_10:.2f} (goal ≥ {PRECISION_AT_10_GOAL}); recall "
            f"{evaluation.recall:.2f}, F1 {evaluation.f1:.2f} (means per article)",
        ),
        Result(
            "check-worthy suggestions: recall of the sentences stating a figure",
            passed=evaluation.figure_recall >= FIGURE_RECALL_GOAL,
            note=f"{evaluation.figure_recall:.2f} (goal ≥ {FIGURE_RECALL_GOAL})",
        ),
    ]
    body = article_of_size()
    runs = 10 if quick else 50
    scoring = median_ms(lambda: checkworthy.assess(body), runs)
    # The process's own CPU time too: on a shared machine the wall clock counts the others.
    cpu = median_ms(lambda: checkworthy.assess(body), runs, clock=time.process_time)
    # The figures as the scorer reads them: line by line, only where they are and what kind.
    lines = [line for line in body.splitlines() if line.strip()]
    figures = median_ms(
        lambda: [extract_figures(line, described=False) for line in lines],
        max(3, runs // 5),
        clock=time.process_time,
    )
    out.append(
        Result(
            f"check-worthy suggestions, {len(body.encode()) // 1000} KB article: sentences "
            "and scores",
            target_ms=TARGET_MS,
            median_ms=round(scoring, 2),
            runs=runs,
            passed=scoring <= TARGET_MS,
            note=f"CPU time {cpu:.1f} ms, of which reading figures (figures.py) about "
            f"{figures:.1f} ms",
        )
    )
    article = Article.objects.create(
        title="Check-worthy bench", body=body, raw_text=f"Check-worthy bench\n\n{body}"
    )
    storing = median_ms(lambda: Suggestion.objects.refresh_for(article), runs)
    storing_cpu = median_ms(
        lambda: Suggestion.objects.refresh_for(article), runs, clock=time.process_time
    )
    out.append(
        Result(
            f"check-worthy suggestions, {len(body.encode()) // 1000} KB article: worked out "
            "and stored (as at import)",
            target_ms=TARGET_MS,
            median_ms=round(storing, 2),
            runs=runs,
            passed=storing <= TARGET_MS,
            note=f"{article.suggestions.count()} suggestions stored (the article's old ones "
            f"deleted first); CPU time {storing_cpu:.1f} ms",
        )
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkworthy", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--set", type=Path, default=SET, help="folder of labelled articles")
    parser.add_argument(
        "--errors", action="store_true", help="list the sentences missed and wrongly suggested"
    )
    args = parser.parse_args(argv)
    import django

    django.setup()
    evaluation = evaluate(args.set)
    if args.json:
        print(json.dumps(evaluation.as_dict(), indent=2, ensure_ascii=False))
        return 0
    print(f"{'article':32} {'sent.':>5} {'+':>3} {'f':>3} {'sugg.':>5} {'P@10':>5} "
          f"{'P':>5} {'R':>5} {'F1':>5} {'fig.R':>5}")  # fmt: skip
    for a in evaluation.articles:
        figure_recall = a.figures_found / a.figures if a.figures else 1.0
        print(
            f"{a.name:32} {a.sentences:5} {a.worthy:3} {a.figures:3} {a.suggested:5} "
            f"{a.precision_at_10:5.2f} {a.precision:5.2f} {a.recall:5.2f} {a.f1:5.2f} "
            f"{figure_recall:5.2f}"
        )
        if args.errors:
            for text in a.missed:
                print(f"    missed: {text}")
            for text in a.wrong:
                print(f"    wrong:  {text}")
    print(
        f"\n{len(evaluation.articles)} articles, {evaluation.sentences} sentences. "
        f"Means per article: precision@10 {evaluation.precision_at_10:.2f} "
        f"(goal ≥ {PRECISION_AT_10_GOAL}), recall {evaluation.recall:.2f}, "
        f"F1 {evaluation.f1:.2f}. Recall of sentences stating a figure: "
        f"{evaluation.figure_recall:.2f} (goal ≥ {FIGURE_RECALL_GOAL})."
    )
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    sys.exit(main())
