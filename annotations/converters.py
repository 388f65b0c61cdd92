"""URL converters shared by the pages' URLconf and the API's."""

from django.urls import register_converter


class IdConverter:
    """A database id: at most 18 digits, so a huge number is a 404, never an overflow."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
