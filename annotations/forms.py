"""Forms for the reader's claim panel. Every form that changes a claim carries its version."""

from html import escape

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe

from annotations import anchoring
from annotations.models import Citation, Claim, Source, User, Verdict
from annotations.urlnorm import normalize_url


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


class VersionedForm(forms.Form):
    """The claim version the user's page showed; a save based on an older one is refused."""

    version = forms.IntegerField(widget=HiddenInput, min_value=1)


class SelectionForm(forms.Form):
    """Words a reviewer selected in the article: offsets and the text the browser showed."""

    start = forms.IntegerField(min_value=0, widget=HiddenInput)
    end = forms.IntegerField(min_value=0, widget=HiddenInput)
    quote = forms.CharField(strip=False, widget=HiddenInput)

    def __init__(self, *args, article, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article
        self.selector = None

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in ("start", "end", "quote")):
            self.errors.clear()
            raise ValidationError(self.missing_selection_message, code="empty")
        # Checked here to show the reader the trimmed quote before saving; the model applies
        # the same rule (anchoring.selection) when it stores the span.
        try:
            self.selector = anchoring.selection(
                self.article.body, data["start"], data["end"], data["quote"]
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
    category = forms.ChoiceField(
        choices=Claim.Category.choices, initial=Claim.Category.OTHER, widget=FastSelect
    )

    def clean(self):
        if self.errors:
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


class ClaimDetailsForm(VersionedForm):
    statement = forms.CharField(
        label="Checkable statement", required=False, widget=Textarea(attrs={"rows": 3})
    )
    claimant = forms.CharField(max_length=300, required=False, widget=TextInput)
    claim_date = forms.DateField(
        required=False, widget=DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    category = forms.ChoiceField(choices=Claim.Category.choices, widget=FastSelect)
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody", widget=FastSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.able_to_review()

    @classmethod
    def for_claim(cls, claim: Claim):
        return cls(
            initial={
                "version": claim.version,
                "statement": claim.statement,
                "claimant": claim.claimant,
                "claim_date": claim.claim_date,
                "category": claim.category,
                "assignee": claim.assignee_id,
            }
        )


class VerdictForm(VersionedForm):
    verdict = forms.ModelChoiceField(
        queryset=Verdict.objects.none(), empty_label="Choose a verdict…", widget=FastSelect
    )
    explanation = forms.CharField(
        required=False,
        widget=Textarea(attrs={"rows": 3}),
        help_text="Plain text; line breaks are kept.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the vocabulary in use is offered; a retired verdict stays on its claims.
        self.fields["verdict"].queryset = Verdict.objects.active()


class SendBackForm(VersionedForm):
    reason = forms.CharField(widget=Textarea(attrs={"rows": 2}), max_length=5000)


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=Textarea(attrs={"rows": 2}), max_length=10_000)


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
        self.existing_source = Source.objects.filter(url=url).first()
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
