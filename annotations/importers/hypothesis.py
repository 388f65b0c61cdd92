"""Reading Hypothesis's own JSON: its API's search results and its client's export file.

- API search results (``GET /api/search``): ``{"total": N, "rows": [annotation, ...]}``, with
  ``"replies": [...]`` beside the rows when replies are asked for separately.
- The client's export file: ``{"export_date": ..., "export_userid": ..., "client_version": ...,
  "annotations": [annotation, ...]}``.
- One annotation as ``GET /api/annotations/<id>`` answers, or a list of them.

An annotation there is ``id``, ``created``, ``updated``, ``user`` (``acct:name@authority``),
``uri``, ``text`` (Markdown), ``tags``, ``group``, ``permissions``, ``target`` (a list of
``{"source": uri, "selector": [RangeSelector, TextPositionSelector, TextQuoteSelector]}``),
``document`` (``{"title": [...]}``, and ``link`` hrefs when the client sent them), ``links``,
``user_info`` (``display_name``), ``flagged``, ``hidden`` and, for a reply, ``references`` (the
ids of the annotations it answers, the thread's root first). A page note has a target with no
selector; a reply's target has none either.

The text becomes the claim's statement (a reply's text a comment on the claim its root
became), the tags are kept, and the Hypothesis user is recorded as the author in the claim's
history: never matched to or made into a user here.
"""

from annotations.importers.incoming import (
    Incoming,
    Target,
    W3CImportError,
    date_time,
    fail,
    objects,
    offset,
    strings,
    text,
    unique_tags,
)

TOOL = "Hypothesis"


def kind_of(data) -> str | None:
    """What Hypothesis file ``data`` is, in words, or None if it is not one."""
    if isinstance(data, dict):
        if "@context" in data:
            return None
        if "rows" in data and ("total" in data or "replies" in data):
            return "a Hypothesis API search result"
        if "annotations" in data and ("export_date" in data or "client_version" in data):
            return "a Hypothesis client export"
        if _looks_like_annotation(data):
            return "a Hypothesis annotation"
    # One malformed row does not make the list something else: it is refused as what it is.
    if isinstance(data, list) and any(_looks_like_annotation(item) for item in data):
        return "a list of Hypothesis annotations"
    return None


def _looks_like_annotation(item) -> bool:
    return (
        isinstance(item, dict)
        and "@context" not in item
        and isinstance(item.get("user"), str)
        and "uri" in item
        and isinstance(item.get("target"), list)
    )


def annotations(data) -> list[Incoming]:
    """The annotations of a Hypothesis file (see ``kind_of``); raises ``W3CImportError``."""
    if isinstance(data, list):
        rows = [("", data)]
    elif "rows" in data:
        if "total" in data and (
            not isinstance(data["total"], int) or isinstance(data["total"], bool)
        ):
            raise W3CImportError("'total' must be a whole number.")
        rows = [("rows", data["rows"]), ("replies", data.get("replies", []))]
    elif "annotations" in data:
        for key in ("export_date", "export_userid", "client_version"):
            text(data, key, "The export")
        rows = [("annotations", data["annotations"])]
    else:
        rows = [("", [data])]
    found = []
    for key, items in rows:
        if not isinstance(items, list):
            raise W3CImportError(f"'{key}' must be a list of annotations.")
        for index, item in enumerate(items):
            where = f"{key}[{index}]" if key else f"item {index + 1}"
            found.append(_annotation(item, where))
    if not found:
        raise W3CImportError("The file holds no annotations.")
    return found


def _annotation(item, where: str) -> Incoming:
    if not isinstance(item, dict):
        raise W3CImportError(f"{where}: expected an annotation object.")
    label = item.get("id")
    if not isinstance(label, str) or not label.strip():
        fail(where, "'id' must be the annotation's id, a string.")
    where = f"{where} (annotation {label})"

    uri = text(item, "uri", where)
    document = item.get("document") or {}
    if not isinstance(document, dict):
        fail(where, "'document' must be an object.")
    strings(document, "title", where)
    links = []
    for link in objects(document.get("link", []), where, "document.link"):
        href = text(link, "href", where)
        if href:
            links.append(href)
    user = text(item, "user", where)
    user_info = item.get("user_info") or {}
    if not isinstance(user_info, dict):
        fail(where, "'user_info' must be an object.")
    display_name = text(user_info, "display_name", where)
    author = f"{user} ({display_name})" if user and display_name else user or display_name

    if "target" not in item:
        fail(where, "an annotation needs a 'target'.")
    targets = [
        _target(target, uri, links, where) for target in objects(item["target"], where, "target")
    ]
    references = strings(item, "references", where)
    return Incoming(
        label=label,
        tool=TOOL,
        targets=targets,
        statement=text(item, "text", where).strip(),
        tags=unique_tags(strings(item, "tags", where)),
        author=author,
        created=date_time(item, "created", where),
        modified=date_time(item, "updated", where),
        reply_to=references[0] if references else None,
    )


def _target(target: dict, uri: str, links: list[str], where: str) -> Target:
    source = text(target, "source", where) or uri or None
    alternatives = [address for address in [uri, *links] if address and address != source]
    found = Target(source=source, alternatives=alternatives)
    selectors = target.get("selector")
    if not selectors:
        found.whole_page = True
        return found
    for selector in objects(selectors, where, "target.selector"):
        kind = selector.get("type")
        if not isinstance(kind, str):
            fail(where, "each selector needs a 'type'.")
        if kind == "TextQuoteSelector" and found.exact is None:
            exact = selector.get("exact")
            if not isinstance(exact, str):
                fail(where, "a TextQuoteSelector needs one string 'exact'.")
            found.exact = exact
            found.prefix = text(selector, "prefix", where)
            found.suffix = text(selector, "suffix", where)
        elif kind == "TextPositionSelector" and found.position is None:
            found.position = offset(selector, "start", where)
            offset(selector, "end", where)
    return found
