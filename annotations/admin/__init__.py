"""The admin site: only Admin-role users reach it (see ``site.py``)."""

from django.contrib import admin
from django_tasks_db.models import DBTaskResult

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

# The queue's own rows (django-tasks' results) hold only a job's id: people follow their jobs on
# the Jobs page, admins everyone's, so the raw queue stays out of the admin.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
