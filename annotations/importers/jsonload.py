"""Reading the JSON files the importers take, refusing what the parser cannot survive.

Python's ``json`` recurses once per array or object it enters, so a file of 50,000 nested
``[`` ends in a ``RecursionError`` deep inside the parser. The files imported here are a few
levels deep (a JSON export nests seven; W3C annotations about as many), so the nesting is
measured before parsing and a file deeper than ``MAX_DEPTH`` is refused like any other bad
file: one ``BadJSON`` whose message says why and where, in one line.
"""

import json
import re
from itertools import accumulate

MAX_DEPTH = 100

# A JSON string as the parser reads it, so that brackets inside text are not counted. It also
# takes an unterminated string to the end of the text (the parser stops there anyway), which
# keeps the scan linear: no attempt at a later quote re-reads the rest of the file.
_STRING = r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)'
_STRINGS = re.compile(_STRING, re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]++")
_TOKENS = re.compile(rf"{_STRING}|[\[\]{{}}]", re.DOTALL)
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class BadJSON(ValueError):
    """The text cannot be read as JSON; the message says why (and where) in one line."""


def loads(text: str | bytes):
    """Parse ``text`` (bytes in any encoding ``json.loads`` detects) or raise ``BadJSON``."""
    if isinstance(text, bytes | bytearray):
        try:
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        except UnicodeDecodeError:
            raise BadJSON("The file is not UTF-8 text.") from None
    _check_depth(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadJSON(
            f"Not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}."
        ) from None


def _check_depth(text: str) -> None:
    # The common case stays in C: drop strings, keep the brackets, take the running sum's peak.
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) <= MAX_DEPTH:
        return
    # Only for a refused file: walk again to say where the limit was crossed.
    depth = 0
    for token in _TOKENS.finditer(text):
        depth += _STEP.get(token.group(), 0)
        if depth > MAX_DEPTH:
            at = token.start()
            line = text.count("\n", 0, at) + 1
            column = at - text.rfind("\n", 0, at)
            raise BadJSON(
                f"Too deeply nested: more than {MAX_DEPTH} arrays or objects inside one "
                f"another (line {line}, column {column})."
            )
