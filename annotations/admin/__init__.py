"""The admin site: only Admin-role users reach it (see ``site.py``)."""

from django.contrib import admin

from annotations.admin import (  # noqa: F401
    articles,
    people,
    published,
    publishing,
    revisions,
    site,
    sources,
    vocabulary,
)

site.configure(admin.site)
