"""Find HTML forms in a page and the values a browser would submit (stdlib only)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_first: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(
                attrs.get("action", "") or attrs.get("hx-post", ""),
                attrs.get("method", "get").lower(),
                attrs=attrs,
            )
            self.forms.append(self._form)
            return
        form = self._form
        if tag == "option" and form is not None and self._select:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
                form.fields[self._select] = value
            if "selected" in attrs:
                form.fields[self._select] = value
            return
        if form is None or not attrs.get("name"):
            return
        name = attrs["name"]
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            form.fields[name] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = name
            form.fields[name] = ""
        elif tag == "select":
            self._select, self._select_first = name, None
            form.fields.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            if self._form is not None and self._textarea:
                # Browsers drop one newline right after <textarea>; Django's widget writes one.
                value = self._form.fields[self._textarea]
                self._form.fields[self._textarea] = value.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data


def find_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html: str, action: str) -> Form | None:
    """The first form posting to ``action`` (its ``action`` or ``hx-post`` attribute)."""
    for form in find_forms(html):
        if form.action.split("?")[0] == action:
            return form
    return None
