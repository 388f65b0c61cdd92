"""The admin site: only Admin-role users reach it (see ``site.py``)."""

from django.contrib import admin

from annotations.admin import articles, people, site, sources, vocabulary  # noqa: F401

site.configure(admin.site)
