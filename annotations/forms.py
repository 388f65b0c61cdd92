"""Forms for the reader's claim panel and the source library. Every form that changes a claim
or a source carries its version, and a form that edits stored values must carry every field it
shows (``CompleteForm``)."""

from collections.abc import Iterator
from html import escape
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.urls import reverse_lazy
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe

from annotations import anchoring, fetching, locales
from annotations import search as fulltext
from annotations.figures import extract_figures, normalise_number
from annotations.models import (
    Article,
    Citation,
    Claim,
    ClaimFamily,
    ClaimFigure,
    ClaimRevision,
    Notification,
    PublishedReview,
    Publisher,
    Source,
    User,
    Verdict,
)
from annotations.urlnorm import is_http_url, normalize_url


def datalist_options(values) -> SafeString:
    """``<option>`` tags of a ``<datalist>`` offering ``values``, escaped (quotes too). Written
    with one join: ``format_html`` per option was 2 ms of the search page for 400 publishers."""
    return mark_safe("".join(f'<option value="{escape(value)}"></option>' for value in values))  # noqa: S308 — every value escaped


#: The empty choice of a filter: no filtering by it.
ANY = [("", "Any")]


class ReadyChoices(BaseChoiceIterator):
    """A list of (value, label) pairs a choice field takes as it is. Set as a plain list, the
    choices are checked and copied pair by pair for the field and again for its widget: 1 ms
    of the dashboard's CPU for its 400 publishers (README, "Scale")."""

    def __init__(self, choices: list[tuple]):
        self.choices = choices

    def __iter__(self):
        return iter(self.choices)


def choice_selects(form: forms.Form, names) -> Iterator[tuple[forms.BoundField, SafeString]]:
    """The choice filters ``names`` of ``form``, each as (bound field, its ``<option>`` tags
    with the current value selected), for a filter bar's template to put in a ``<select>``.

    The options are written here at once: Django's widget renders a template per option, and
    a template loop over them was most of the search page's rendering with 400 publishers.
    Written with one join, as ``datalist_options``: ``format_html`` per option was 2.3 ms of
    the dashboard's CPU for 400 publishers, the join 0.3 ms (README, "Scale")."""
    for name in names:
        field = form.fields[name]
        if not isinstance(field, forms.ChoiceField):
            continue
        bound = form[name]
        current = str(bound.value() or "")
        options = []
        for value, label in field.choices:
            value = str(value)
            selected = " selected" if value == current else ""
            label = escape(str(label))
            options.append(f'<option value="{escape(value)}"{selected}>{label}</option>')
        yield bound, mark_safe("".join(options))  # noqa: S308 — every value and label escaped


def flat_attrs(attrs: dict) -> str:
    """``flatatt`` without its lazy-string and ``format_html`` machinery, same output (sorted
    ``key="value"`` pairs, then sorted boolean keys): the claim panel renders some twenty
    widgets in every claim-create response."""
    pairs = sorted((k, v) for k, v in attrs.items() if not isinstance(v, bool) and v is not None)
    flags = sorted(k for k, v in attrs.items() if v is True)
    return "".join(f' {escape(k)}="{escape(str(v))}"' for k, v in pairs) + "".join(
        f" {escape(k)}" for k in flags
    )


class _StringWidget:
    """Render a widget as one string instead of through a template (see ``FastSelect``)."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        value = self.format_value(value)
        if isinstance(self, forms.Textarea):
            text = escape(value or "")
            return mark_safe(  # noqa: S308 - name, text and attributes escaped
                f'<textarea name="{escape(name)}"{flat_attrs(attrs)}>\n{text}</textarea>'
            )
        shown = "" if value is None else f' value="{escape(str(value))}"'
        return mark_safe(  # noqa: S308 - name, value and attributes escaped
            f'<input type="{self.input_type}" name="{escape(name)}"{shown}{flat_attrs(attrs)}>'
        )


class TextInput(_StringWidget, forms.TextInput):
    pass


class HiddenInput(_StringWidget, forms.HiddenInput):
    pass


class DateInput(_StringWidget, forms.DateInput):
    pass


class Textarea(_StringWidget, forms.Textarea):
    pass


class FastSelect(forms.Select):
    """A ``<select>`` built as one string. The stock widget renders a template per option,
    which made the claim panel (part of every claim-create response) several times slower."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        parts = [f'<select name="{escape(name)}"{flat_attrs(attrs)}>']
        for option_value, label in self.choices:
            option = "" if option_value is None else str(option_value)
            selected = " selected" if option in chosen else ""
            parts.append(
                f'<option value="{escape(option)}"{selected}>{escape(str(label))}</option>'
            )
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - names, values and labels escaped above


class ListedChoiceIterator(ModelChoiceIterator):
    """The options of a short list as its field's ``options()`` gives them, (id, label) rows
    read in one plain query. The stock iterator reads model instances with
    ``QuerySet.iterator()``, which on PostgreSQL opens a server-side cursor (DECLARE, FETCH,
    CLOSE: three round trips) for a few dozen people or verdicts: two of them in every claim
    panel, so in every claim-create response (make bench-scale, "claim create POST")."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.field.options()


class ListedChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` for a short list: ``options`` returns its (id, label) options
    (the rows of ``queryset``, labelled as ``str()`` labels its objects); a submitted value is
    checked against ``queryset`` as usual."""

    iterator = ListedChoiceIterator

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options


class CompleteForm:
    """For forms that overwrite stored values: a field missing from the submitted data is an
    error, never read as "blank it" (a crafted, truncated or outdated request would otherwise
    wipe what is stored). Fields in ``optional_fields`` may be left out; a checkbox, which a
    browser leaves out when unticked, always may."""

    optional_fields: frozenset[str] = frozenset()
    missing_message = "This field was missing from the form: reload the page and try again."

    def full_clean(self):
        super().full_clean()
        instance = getattr(self, "instance", None)
        if not self.is_bound or (instance is not None and instance._state.adding):
            return  # a new object has no stored values to lose
        for name, field in self.fields.items():
            if name in self.optional_fields or field.disabled:
                continue
            key = self.add_prefix(name)
            if field.widget.value_omitted_from_data(self.data, self.files, key):
                self._errors.pop(name, None)
                self.add_error(name, ValidationError(self.missing_message, code="missing"))


class VersionedForm(forms.Form):
    """The claim version the user's page showed; a save based on an older one is refused."""

    version = forms.IntegerField(widget=HiddenInput, min_value=1)


def change_reason_field(element_id: str):
    """Why an approved claim should change: asked with every change to one (it is kept with
    the change and shown once the change is approved). Several forms of the panel ask it, so
    each gives its field its own element id."""
    return forms.CharField(
        label="Why change the approved claim?",
        required=False,
        max_length=5000,
        widget=Textarea(attrs={"rows": 2, "id": element_id}),
        help_text="The claim stays approved as it is until another editor approves the change.",
    )


class SelectionForm(forms.Form):
    """Words a reviewer selected in the article: offsets and the text the browser showed."""

    # Which text the offsets count in (the reader's selection root says it); a page from
    # before headlines were claimable sends none: the body.
    part = forms.ChoiceField(choices=Article.Part.choices, required=False, widget=HiddenInput)
    start = forms.IntegerField(min_value=0, widget=HiddenInput)
    end = forms.IntegerField(min_value=0, widget=HiddenInput)
    quote = forms.CharField(strip=False, widget=HiddenInput)

    def __init__(self, *args, article, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article
        self.selector = None

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in ("part", "start", "end", "quote")):
            self.errors.clear()
            raise ValidationError(self.missing_selection_message, code="empty")
        data["part"] = data.get("part") or Article.Part.BODY
        # Checked here to show the reader the trimmed quote before saving; the model applies
        # the same rule (anchoring.selection) when it stores the span.
        try:
            self.selector = anchoring.selection(
                self.article.text_of(data["part"]), data["start"], data["end"], data["quote"]
            )
        except anchoring.AnchorError as error:
            raise ValidationError(str(error), code="anchor") from None
        return data

    missing_selection_message = "Select some words of the article first, then choose “Add claim”."


class ClaimCreateForm(SelectionForm):
    statement = forms.CharField(
        label="Checkable statement",
        required=False,
        widget=Textarea(attrs={"rows": 3}),
        help_text="Restate the claim so that it can be checked.",
    )
    claimant = forms.CharField(
        max_length=300,
        required=False,
        widget=TextInput,
        help_text="Who made the claim: a person or an organisation.",
    )
    claim_date = forms.DateField(
        required=False,
        widget=DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="When the claim was made.",
    )
    category = forms.ChoiceField(
        choices=Claim.Category.choices, initial=Claim.Category.OTHER, widget=FastSelect
    )

    # What a reviewer types: a mistake there is shown beside the field, with what was typed.
    typed_fields = frozenset({"claimant", "claim_date"})
    # The words read for a suggested category: a claim is a sentence or three.
    SUGGESTION_READS = 2000

    suggestion = ""  # why the category shown was suggested, if it was

    @property
    def asks_for_suggestion(self) -> bool:
        """The empty form the reader fills in from the selection in the browser: once filled,
        it asks the server which category the selected words suggest."""
        return not self.is_bound and not self.initial

    @staticmethod
    def suggest_category(quote: str) -> tuple[str, str]:
        """The category that a claim's words suggest, and why ("" when nothing does): words
        that state a figure (as ``figures.extract_figures`` reads them) are a statistic."""
        figures = extract_figures(quote[: ClaimCreateForm.SUGGESTION_READS])
        if figures:
            why = f"Suggested: the quote states a figure (“{figures[0].text}”)."
            return Claim.Category.STATISTIC, why
        return Claim.Category.OTHER, ""

    @classmethod
    def suggesting(cls, article, quote: str) -> "ClaimCreateForm":
        """The empty form with the category suggested for ``quote``."""
        category, why = cls.suggest_category(quote)
        form = cls(initial={"category": category}, article=article)
        form.suggestion = why
        return form

    def clean(self):
        if set(self.errors) - self.typed_fields:
            # A bad category or statement comes from a tampered form: ask for a new selection.
            self.errors.clear()
            raise ValidationError(self.missing_selection_message, code="empty")
        return super().clean()


class ClaimReattachForm(SelectionForm):
    """An orphaned claim's new place: the words a reviewer selected in the current text."""

    version = forms.IntegerField(min_value=1, widget=HiddenInput)
    missing_selection_message = (
        "Select the words in the article that this claim is about, then choose “Re-attach”."
    )


class ClaimDetailsForm(CompleteForm, VersionedForm):
    # The claimant's type and pages came later than the rest: a form sent without them (an
    # older page still open) leaves them as they are.
    kept_when_missing = frozenset({"claimant_kind", "claimant_same_as"})
    optional_fields = frozenset({"change_reason"}) | kept_when_missing

    statement = forms.CharField(
        label="Checkable statement", required=False, widget=Textarea(attrs={"rows": 3})
    )
    claimant = forms.CharField(max_length=300, required=False, widget=TextInput)
    claimant_kind = forms.ChoiceField(
        label="The claimant is",
        choices=[("", "Not said yet"), *Claim.ClaimantKind.choices],
        required=False,
        widget=FastSelect(attrs={"aria-describedby": "id_claimant_kind_help"}),
        help_text="A person or an organisation: ClaimReview names the claimant only once "
        "this is said.",
    )
    claimant_same_as = forms.CharField(
        label="The claimant's pages",
        required=False,
        max_length=3000,
        widget=Textarea(attrs={"rows": 2, "aria-describedby": "id_claimant_same_as_help"}),
        help_text="Addresses that identify the claimant (an encyclopaedia entry, an official "
        "page), one per line.",
    )
    claim_date = forms.DateField(
        required=False, widget=DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    category = forms.ChoiceField(choices=Claim.Category.choices, widget=FastSelect)
    # The queryset checks a submitted value; each form gets a copy of it (made by cloning,
    # 3 µs: building it again in every form was 150 µs of every claim panel drawn).
    assignee = ListedChoiceField(
        queryset=User.objects.able_to_review(),
        options=User.objects.assignable_options,
        required=False,
        empty_label="Nobody",
        widget=FastSelect,
    )
    change_reason = change_reason_field("details-change-reason")

    @classmethod
    def for_claim(cls, claim: Claim, proposal: ClaimRevision | None = None):
        """The form on the claim's values; for the author of a pending change to it, on the
        values they proposed, so that saving again amends their proposal."""
        proposed = proposal.changes if proposal else {}
        initial = {
            "version": claim.version,
            "statement": claim.statement,
            "claimant": claim.claimant,
            "claimant_kind": claim.claimant_kind,
            "claimant_same_as": claim.claimant_same_as,
            "claim_date": claim.claim_date,
            "category": claim.category,
            "assignee": claim.assignee_id,
            "change_reason": proposal.reason if proposal else "",
        }
        return cls(initial=initial | {k: v for k, v in proposed.items() if k in initial})

    def clean_claimant_same_as(self) -> str:
        """One address per line, each an http(s) address: a bad line is named, nothing lost."""
        lines = [line.strip() for line in self.cleaned_data["claimant_same_as"].splitlines()]
        lines = [line for line in lines if line]
        bad = [line for line in lines if not is_http_url(line)]
        if bad:
            raise ValidationError(
                f"“{bad[0]}” is not a web address: give one address starting with http:// or "
                "https:// per line.",
                code="same_as",
            )
        return "\n".join(lines)

    def clean(self):
        data = super().clean()
        for name in self.kept_when_missing:
            if name not in self.data:
                data.pop(name, None)
        return data


class VerdictForm(CompleteForm, VersionedForm):
    optional_fields = frozenset({"change_reason"})

    # Only the vocabulary in use is offered; a retired verdict stays on its claims.
    verdict = ListedChoiceField(
        queryset=Verdict.objects.active(),
        options=Verdict.objects.active_options,
        empty_label="Choose a verdict…",
        widget=FastSelect,
    )
    explanation = forms.CharField(
        required=False,
        widget=Textarea(attrs={"rows": 3}),
        help_text="Plain text; line breaks are kept.",
    )
    change_reason = change_reason_field("verdict-change-reason")

    @classmethod
    def for_claim(cls, claim: Claim, proposal: ClaimRevision | None = None):
        """Like ``ClaimDetailsForm.for_claim``: the author of a pending change sees theirs."""
        proposed = proposal.changes if proposal else {}
        return cls(
            initial={
                "version": claim.version,
                "verdict": proposed.get("verdict", claim.verdict_id),
                "explanation": proposed.get("verdict_explanation", claim.verdict_explanation),
                "change_reason": proposal.reason if proposal else "",
            }
        )


class SendBackForm(VersionedForm):
    reason = forms.CharField(widget=Textarea(attrs={"rows": 2}), max_length=5000)


class CitationRemoveForm(VersionedForm):
    change_reason = forms.CharField(
        label="Why remove it?", required=False, max_length=5000, widget=TextInput
    )


class CommentForm(forms.Form):
    # data-mentions: where live.js asks whom to offer while someone types @ and a name.
    body = forms.CharField(
        label="Comment",
        widget=Textarea(
            attrs={"rows": 2, "data-mentions": reverse_lazy("annotations:people-search")}
        ),
        max_length=10_000,
        help_text="Type @ and a name to mention someone: they are notified.",
    )


class NotificationSettingsForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label="Also send me an e-mail when",
        choices=Notification.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class CitationForm(VersionedForm):
    """Cite a source from the library (``source``) or a new one described inline."""

    source = forms.ModelChoiceField(queryset=Source.objects.all(), required=False)
    new_title = forms.CharField(label="Title", max_length=500, required=False, widget=TextInput)
    new_url = forms.CharField(label="URL", max_length=2000, required=False, widget=TextInput)
    new_publisher = forms.CharField(
        label="Publisher", max_length=300, required=False, widget=TextInput
    )
    new_kind = forms.ChoiceField(
        label="Kind",
        choices=Source.Kind.choices,
        initial=Source.Kind.OTHER,
        required=False,
        widget=FastSelect,
    )
    relation = forms.ChoiceField(choices=Citation.Relation.choices, widget=FastSelect)
    quote = forms.CharField(
        label="Quote from the source", required=False, widget=Textarea(attrs={"rows": 2})
    )
    locator = forms.CharField(max_length=200, required=False, widget=TextInput)
    note = forms.CharField(required=False, widget=Textarea(attrs={"rows": 2}))
    change_reason = change_reason_field("citation-change-reason")

    existing_source: Source | None = None

    def clean(self):
        data = super().clean()
        if data.get("source"):
            return data
        title, url = data.get("new_title", "").strip(), data.get("new_url", "").strip()
        if not title and not url:
            raise ValidationError("Pick a source from the library or describe a new one.")
        if not title:
            self.add_error("new_title", "Give the new source a title.")
        try:
            url = normalize_url(url)
        except ValidationError as error:
            self.add_error("new_url", error)
            return data
        self.existing_source = Source(url=url).find_duplicate()
        if self.existing_source:
            self.add_error(
                "new_url",
                f"This page is already in the library as “{self.existing_source.title}”: "
                "use that source instead.",
            )
        data["new_url"] = url
        return data

    def source_to_cite(self, user) -> Source:
        """The chosen source, or a new unsaved one (saved together with the citation)."""
        data = self.cleaned_data
        if data.get("source"):
            return data["source"]
        return Source(
            title=data["new_title"].strip(),
            url=data["new_url"],
            publisher=data["new_publisher"].strip(),
            kind=data["new_kind"] or Source.Kind.OTHER,
            created_by=user,
        )

    def citation_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("relation", "quote", "locator", "note")}


class PublishedCitationForm(VersionedForm):
    """Cite a published fact-check the panel points at: its page is the source (the library's
    one when it is there already), what it checked and its rating the citation's words."""

    review = forms.ModelChoiceField(queryset=PublishedReview.objects.all(), widget=HiddenInput)
    change_reason = forms.CharField(required=False, max_length=5000)

    def citation_fields(self) -> dict:
        review = self.cleaned_data["review"]
        checked = f"Checked by {review.organisation or 'another fact-checker'}"
        if review.reviewed_on:
            checked += f" on {review.reviewed_on:%Y-%m-%d}"
        return {
            # A fact-check of the same claim tells what others found; the reviewer says
            # whether it supports or contradicts this claim by editing the citation.
            "relation": Citation.Relation.CONTEXT,
            "quote": review.claim_reviewed,
            "locator": f"Rating: {review.rating_label}"[:200],
            "note": f"{checked}: {review.rating_label}.",
        }


# --- The source library -------------------------------------------------------------------------


class SourceFilterForm(forms.Form):
    USAGE = {
        "": "All sources",
        "unused": "Unused",
        "cited": "Cited by claims",
        "approved": "Backing approved verdicts",
    }

    q = forms.CharField(label="Search", required=False)
    usage = forms.ChoiceField(label="Usage", choices=USAGE.items(), required=False)
    reliability = forms.ChoiceField(
        label="Reliability",
        choices=[*ANY, ("unrated", "Not yet rated"), *Source.Reliability.choices[1:]],
        required=False,
    )


class ReliabilityForm(CompleteForm, forms.ModelForm):
    """A source's reliability rating and why, based on the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Source
        fields = ["reliability", "reliability_rationale"]
        labels = {"reliability_rationale": "Why"}
        widgets = {"reliability_rationale": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        # The rating held before this form changes it (the model's clean sees the new one).
        self.stored_reliability = self.instance.reliability

    def clean(self):
        cleaned = super().clean()
        if (
            self.stored_reliability
            and "reliability" in cleaned
            and not cleaned["reliability"]
            and not cleaned.get("reliability_rationale", "").strip()
        ):
            self.add_error("reliability_rationale", "Say why the rating is withdrawn.")
        return cleaned


class SnapshotForm(forms.Form):
    file = forms.FileField(
        label="Snapshot file", help_text="PDF, HTML, PNG or plain text, read by its content."
    )


# --- Figures, families and conflicts (claims across articles) -----------------------------------


def _counted_key(words: str) -> str:
    """What a reviewer typed as the counted thing, as the figure reader keys it ("Paedophiles"
    → "offender", "pupils" → "pupil"): read as the noun of a count, so the same synonyms and
    singular forms apply; the words as typed (lower case) when the reader finds no noun."""
    words = " ".join(words.split()).lower()
    if not words:
        return ""
    read = extract_figures(f"There are 12 {words}.")
    return read[0].counted if read and read[0].counted else words


class FigureCorrectionForm(CompleteForm, forms.Form):
    """A reviewer's reading of one figure. Numbers are typed as they are written anywhere
    ("300,000", "300k", "1.5 million", "a third"); a range gives its two bounds."""

    optional_fields = frozenset({"high", "note", "period", "direction", "qualifier"})

    version = forms.IntegerField(widget=HiddenInput, min_value=1)
    low = forms.CharField(
        label="Value (or the lower bound of a range)", max_length=60, widget=TextInput
    )
    high = forms.CharField(
        label="Upper bound (ranges only)", max_length=60, required=False, widget=TextInput
    )
    unit = forms.ChoiceField(choices=ClaimFigure.UNITS, widget=FastSelect)
    kind = forms.ChoiceField(choices=ClaimFigure.Kind.choices, widget=FastSelect)
    counted = forms.CharField(
        label="What is counted",
        max_length=100,
        required=False,
        widget=TextInput,
        help_text="A noun: people, images, arrests.",
    )
    period = forms.CharField(
        label="Period",
        max_length=100,
        required=False,
        widget=TextInput,
        help_text="per month, 2019, 2017-18",
    )
    direction = forms.ChoiceField(
        choices=ClaimFigure.Direction.choices, required=False, widget=FastSelect
    )
    qualifier = forms.ChoiceField(choices=ClaimFigure.QUALIFIERS, required=False, widget=FastSelect)
    note = forms.CharField(label="Why", max_length=2000, required=False, widget=TextInput)

    @classmethod
    def for_figure(cls, figure: ClaimFigure) -> "FigureCorrectionForm":
        def shown(value):
            return "" if value is None else f"{value:,.10g}"

        return cls(
            initial={
                "version": figure.version,
                "low": shown(figure.value if figure.value is not None else figure.low),
                "high": shown(figure.high) if figure.is_range else "",
                "unit": figure.unit,
                "kind": figure.kind,
                "counted": figure.counted,
                "period": figure.period,
                "direction": figure.direction,
                "qualifier": figure.qualifier,
                "note": figure.note,
            },
            prefix=f"figure-{figure.pk}",
        )

    def _number(self, name: str) -> float | None:
        text = self.cleaned_data.get(name, "").strip()
        if not text:
            return None
        value = normalise_number(text)
        if value is None:
            self.add_error(
                name, f"“{text}” cannot be read as one number: write it as 80,000, 1.5 million…"
            )
        return value

    def clean(self):
        data = super().clean()
        low, high = self._number("low"), self._number("high")
        if self.errors:
            return data
        if high is not None and high < low:
            self.add_error("high", "The upper bound is below the lower one.")
            return data
        ranged = high is not None and high != low
        data["reading"] = {
            "value": None if ranged else low,
            "low": low,
            "high": high if ranged else low,
            "unit": data["unit"],
            "kind": data["kind"],
            "counted": _counted_key(data.get("counted", "")),
            "period": " ".join(data.get("period", "").split()).lower(),
            "direction": data.get("direction", ""),
            "qualifier": data.get("qualifier", ""),
        }
        return data


class FigureRemoveForm(VersionedForm):
    note = forms.CharField(label="Why is it wrong?", max_length=2000, widget=TextInput)


# --- Article details and publication ------------------------------------------------------------


class ArticleDetailsForm(CompleteForm, forms.Form):
    """An article's details as a reviewer corrects them on the article page. The publisher is
    typed by name: an existing one (offered as you type) is chosen, a new name creates one, with
    its home page and country if given."""

    optional_fields = frozenset({"title_confirmed", "publisher_url", "publisher_country"})

    version = forms.IntegerField(widget=HiddenInput, min_value=1)
    title = forms.CharField(max_length=500, widget=TextInput)
    title_confirmed = forms.BooleanField(
        label="This title is right", required=False, help_text="Clears the “inferred” flag."
    )
    url = forms.CharField(
        label="URL",
        max_length=2000,
        required=False,
        widget=TextInput,
        help_text="The article's address; stored without tracking parameters.",
    )
    publisher = forms.CharField(
        max_length=300,
        required=False,
        widget=TextInput(attrs={"list": "publisher-options", "autocomplete": "off"}),
        help_text="Choose one as you type, or type a new name to add it.",
    )
    publisher_url = forms.CharField(
        label="New publisher's home page", max_length=2000, required=False, widget=TextInput
    )
    publisher_country = forms.ChoiceField(
        label="New publisher's country", required=False, widget=FastSelect
    )
    byline = forms.CharField(
        label="Author (byline)", max_length=300, required=False, widget=TextInput
    )
    published_on = forms.DateField(
        label="Publication date",
        required=False,
        widget=DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    language = forms.ChoiceField(required=False, widget=FastSelect)

    def __init__(self, *args, article: Article, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article
        self.fields["language"].choices = [("", "—"), *locales.languages()]
        self.fields["publisher_country"].choices = [("", "—"), *locales.countries()]

    @classmethod
    def for_article(cls, article: Article) -> "ArticleDetailsForm":
        return cls(
            initial={
                "version": article.version,
                "title": article.title,
                "url": article.url,
                "publisher": article.publisher.name if article.publisher_id else "",
                "byline": article.byline,
                "published_on": article.published_on,
                "language": article.language,
            },
            article=article,
        )

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError("Give the article a title.")
        return title

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if not url:
            return ""
        url = normalize_url(url)
        if other := Article.objects.filter(url=url).exclude(pk=self.article.pk).first():
            raise ValidationError(
                f"Another article has this URL: “{other.title}” (article #{other.pk})."
            )
        return url

    def clean_publisher_url(self):
        url = self.cleaned_data["publisher_url"].strip()
        return normalize_url(url) if url else ""

    def clean(self):
        data = super().clean()
        name = " ".join(data.get("publisher", "").split())
        if not name:
            data["publisher"] = None
            return data
        existing = Publisher.objects.filter(name__iexact=name).first()
        # A new publisher is saved with the article's details, in the same transaction.
        data["publisher"] = existing or Publisher(
            name=name,
            url=data.get("publisher_url", ""),
            country=data.get("publisher_country", ""),
        )
        return data

    def details(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in Article.DETAIL_FIELDS}


class PublishForm(VersionedForm):
    """The claims an editor puts on the public page (approved ones of this article), and, for
    a fact-check already published, why claims are added."""

    claims = forms.ModelMultipleChoiceField(
        queryset=Claim.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label="Why are claims added to the published fact-check?",
        required=False,
        max_length=5000,
        widget=Textarea(attrs={"rows": 2}),
        help_text="Shown with the date in the page's corrections and updates log.",
    )

    def __init__(self, *args, article: Article, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claims"].queryset = article.publishable_claims()


class UnpublishForm(VersionedForm):
    """On the publish page beside ``PublishForm``: its fields have ids of their own."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "withdraw_%s")
        super().__init__(*args, **kwargs)

    reason = forms.CharField(
        label="Why is the fact-check withdrawn?",
        max_length=5000,
        widget=Textarea(attrs={"rows": 2}),
        help_text="Readers who open its address see this notice.",
    )


class DismissForm(VersionedForm):
    reason = forms.CharField(
        label="Why can it not be checked?",
        max_length=5000,
        widget=Textarea(attrs={"rows": 2}),
        help_text="An opinion, a prediction, a duplicate… Kept in the discussion.",
    )


class ProposalForm(forms.Form):
    """A proposal as the reviewer saw it: the other claim, and both claims' families (id and
    version, empty for none) at the time, so a change meanwhile is refused."""

    other = forms.IntegerField(min_value=1, widget=HiddenInput)
    family = forms.IntegerField(min_value=1, required=False, widget=HiddenInput)
    family_version = forms.IntegerField(min_value=1, required=False, widget=HiddenInput)
    other_family = forms.IntegerField(min_value=1, required=False, widget=HiddenInput)
    other_family_version = forms.IntegerField(min_value=1, required=False, widget=HiddenInput)

    def seen(self) -> tuple:
        data = self.cleaned_data
        return (
            data.get("family"),
            data.get("family_version"),
            data.get("other_family"),
            data.get("other_family_version"),
        )


class FamilyVersionForm(forms.Form):
    version = forms.IntegerField(widget=HiddenInput, min_value=1)


class FamilyStatementForm(CompleteForm, FamilyVersionForm):
    statement = forms.CharField(
        label="Canonical statement",
        max_length=5000,
        widget=Textarea(attrs={"rows": 3}),
        help_text="The one checkable statement every member makes, however worded.",
    )


class FamilyRemoveForm(FamilyVersionForm):
    claim = forms.IntegerField(min_value=1, widget=HiddenInput)
    note = forms.CharField(label="Why does it leave?", max_length=2000, widget=TextInput)


class FamilySplitForm(FamilyVersionForm):
    # Rendered as a tick in each member's row of the family page (form="split-form").
    claims = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Members to split off")
    note = forms.CharField(label="Why", max_length=2000, required=False, widget=TextInput)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claims"].choices = [(claim.pk, str(claim)) for claim in members]


class FamilyMergeForm(FamilyVersionForm):
    other = forms.IntegerField(label="Family number to merge into this one", min_value=1)
    other_version = forms.IntegerField(min_value=1, required=False, widget=HiddenInput)


class FamilyCiteForm(FamilyVersionForm):
    """Cite, on every member, a source one of them cites (with that citation's details)."""

    citation = forms.IntegerField(min_value=1, widget=HiddenInput)
    change_reason = change_reason_field("family-cite-reason")


class FamilyResolveForm(FamilyVersionForm):
    resolution = forms.ChoiceField(
        label="Why do the figures disagree?",
        choices=ClaimFamily.Resolution.choices,
        required=False,
        widget=FastSelect,
    )
    note = forms.CharField(
        label="Note", max_length=5000, required=False, widget=Textarea(attrs={"rows": 2})
    )


# --- API tokens ---------------------------------------------------------------------------------


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        widget=TextInput(attrs={"placeholder": "What will use it, e.g. “CMS plug-in”"}),
        help_text="Shown in your list of tokens, so that you know which one to revoke.",
    )


# --- Work from links (background jobs) --------------------------------------------------------


class LinkImportForm(forms.Form):
    url = forms.URLField(
        label="Article link",
        max_length=2000,
        assume_scheme="https",
        help_text="The server fetches the page and imports it like an HTML file.",
        widget=forms.URLInput(attrs={"placeholder": "https://news.example/story", "size": 50}),
    )

    def clean_url(self) -> str:
        """A link with a user name or password is refused here, before it is written into a
        job's title and parameters (which admins see), as the fetcher would refuse it."""
        url = self.cleaned_data["url"]
        try:
            fetching.refuse_credentials(urlsplit(url))
        except fetching.FetchError as error:
            raise ValidationError(
                f"{error} Take them out of the link and paste it again."
            ) from None
        return url


class DashboardFilters(forms.Form):
    """The dashboard's filters and sort, allow-listed: a value the form does not accept is
    ignored, never passed to the ORM."""

    ME = "me"

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": "Title or text"}),
    )
    review_state = forms.ChoiceField(
        label="Article", required=False, choices=ANY + Article.State.choices
    )
    claim_state = forms.ChoiceField(
        label="Has claims", required=False, choices=ANY + Claim.State.choices
    )
    verdict = forms.TypedChoiceField(label="Verdict", required=False, coerce=int, empty_value=None)
    publisher = forms.ChoiceField(label="Publisher", required=False)
    assignee = forms.ChoiceField(label="Assigned to", required=False)
    sort = forms.ChoiceField(label="Sort", required=False)

    def __init__(self, data, *, verdicts, publishers: list[str], assignees, sorts, **kwargs):
        """``assignees``: (id, name) pairs, ``User.objects.assignable_options``; ``sorts``:
        (value, label) pairs of the orderings the dashboard runs."""
        super().__init__(data, **kwargs)
        self.fields["verdict"].choices = ReadyChoices(ANY + [(v.pk, v.label) for v in verdicts])
        self.fields["publisher"].choices = ReadyChoices(ANY + [(p, p) for p in publishers])
        self.fields["assignee"].choices = ReadyChoices(
            ANY + [(self.ME, "Me")] + [(str(pk), name) for pk, name in assignees]
        )
        self.fields["sort"].choices = ReadyChoices(sorts)

    def selects(self):
        """The filters' selects; not ``sort``: the column headers sort, and the results carry
        the current sort back to the form."""
        return choice_selects(self, [name for name in self.fields if name != "sort"])

    def valid_values(self) -> dict:
        """The values that passed validation; anything else in the query string is ignored."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}

    def matching(self, values: dict, user) -> dict:
        """The ``ArticleTally.objects.matching`` arguments of ``valid_values``, "me" read as
        ``user``."""
        if assignee := values.get("assignee"):
            assignee = user if assignee == self.ME else int(assignee)
        return {
            "q": values.get("q", ""),
            "review_state": values.get("review_state"),
            "claim_state": values.get("claim_state"),
            "verdict": values.get("verdict"),
            "publisher": values.get("publisher"),
            "assignee": assignee,
        }


class SearchFilters(forms.Form):
    """The search page's filters, allow-listed: a value the form does not accept is ignored,
    never passed to the ORM."""

    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Everything")] + [(k.name, k.label) for k in fulltext.KINDS.values()],
    )
    verdict = forms.TypedChoiceField(label="Verdict", required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(
        label="Claim state", required=False, choices=ANY + Claim.State.choices
    )
    # Typed, with the articles' publishers offered: a source library's publishers run to
    # thousands (4,800 in make bench-scale's desk), too many for a select.
    publisher = forms.CharField(
        label="Publisher",
        required=False,
        max_length=300,
        widget=forms.TextInput(
            attrs={"list": "search-publishers", "autocomplete": "off", "placeholder": "Any"}
        ),
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reliability = forms.ChoiceField(
        label="Source reliability",
        required=False,
        choices=ANY
        + [(fulltext.UNRATED, "Not yet rated")]
        + [(value, label) for value, label in Source.Reliability.choices if value],
    )

    def __init__(self, data, *, verdicts, publishers, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["verdict"].choices = ANY + [(v.pk, v.label) for v in verdicts]
        self.publishers = publishers

    def selects(self):
        return choice_selects(self, ("verdict", "state", "reliability"))

    def publisher_options(self):
        """The ``<option>``s of the publisher box's list: the articles' publishers."""
        return datalist_options(self.publishers)

    def valid_values(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
