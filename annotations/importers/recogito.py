"""Reading @recogito/text-annotator's own JSON (what ``getAnnotations()`` gives, saved as is).

An annotation there is ``{"id": uuid, "bodies": [...], "target": {"annotation": uuid,
"selector": [{"quote", "start", "end", "range"}], "creator": {"id", "isGuest"?, "name"?},
"created"}}`` (older versions hold one selector object rather than a list). Bodies are
``{"id", "annotation", "type"?, "purpose", "value", "creator", "created"}``.

It names no document, so the caller says which article (``--article ID``). The first comment
body becomes the claim's statement; further comments and replies become comments; tagging and
classifying bodies become tags. (Its W3C output is read by ``annotations.importers.w3c``.)
"""

from annotations.importers.incoming import (
    Incoming,
    Target,
    TextNote,
    W3CImportError,
    date_time,
    fail,
    objects,
    offset,
    text,
    unique_tags,
)

TOOL = "Recogito"
STATEMENT_PURPOSES = {"commenting", None, ""}
TAG_PURPOSES = {"tagging", "classifying"}


def kind_of(data) -> str | None:
    items = data if isinstance(data, list) else [data]
    if any(_looks_like_annotation(item) for item in items):
        return "@recogito/text-annotator JSON"
    return None


def _looks_like_annotation(item) -> bool:
    return (
        isinstance(item, dict)
        and "@context" not in item
        and "bodies" in item
        and isinstance(item.get("target"), dict)
    )


def annotations(data) -> list[Incoming]:
    items = data if isinstance(data, list) else [data]
    return [_annotation(item, f"item {index + 1}") for index, item in enumerate(items)]


def agent_name(agent, where: str) -> str:
    """Who a creator object names, for people to read: its name, else its id."""
    if agent is None:
        return ""
    if isinstance(agent, str):
        return agent
    if not isinstance(agent, dict):
        fail(where, "'creator' must be an object.")

    def first(key: str) -> str:
        values = agent.get(key)
        values = values if isinstance(values, list) else [values]
        return next((value for value in values if isinstance(value, str)), "")

    name, identifier = first("name") or first("nickname"), first("id")
    if name and identifier and identifier != name:
        return f"{name} ({identifier})"
    name = name or identifier
    if name and agent.get("isGuest"):
        return f"guest {name}"
    return name


def _annotation(item, where: str) -> Incoming:
    label = item.get("id")
    if not isinstance(label, str) or not label.strip():
        fail(where, "'id' must be the annotation's id, a string.")
    where = f"{where} (annotation {label})"
    target = item["target"]
    author = agent_name(target.get("creator"), where)
    selectors = target.get("selector")
    if selectors is None:
        fail(where, "the target needs a 'selector'.")
    targets = []
    for selector in objects(selectors, where, "target.selector"):
        quote = selector.get("quote")
        if not isinstance(quote, str):
            fail(where, "each selector needs its 'quote', a string.")
        start = offset(selector, "start", where)
        offset(selector, "end", where)
        source = text(target, "source", where) or None
        targets.append(Target(source=source, exact=quote, position=start))
    if not targets:
        raise W3CImportError(f"{where}: the target has no selector.")

    bodies = item["bodies"]
    if not isinstance(bodies, list):
        fail(where, "'bodies' must be a list.")
    statement, tags, comments = None, [], []
    for body in objects(bodies, where, "bodies") if bodies else []:
        purpose = body.get("purpose")
        value = text(body, "value", where)
        if purpose in TAG_PURPOSES:
            tags.append(value)
        elif statement is None and purpose in STATEMENT_PURPOSES:
            statement = value.strip()
        elif value.strip():
            comments.append(
                TextNote(
                    text=value.strip(),
                    author=agent_name(body.get("creator"), where),
                    created=date_time(body, "created", where),
                )
            )
    return Incoming(
        label=label,
        tool=TOOL,
        targets=targets,
        statement=statement or "",
        tags=unique_tags(tags),
        author=author,
        created=date_time(target, "created", where),
        modified=date_time(target, "updated", where),
        comments=comments,
    )
