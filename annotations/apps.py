from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Fact-checking"

    def ready(self):
        from annotations import (  # noqa: F401 — checks registers on import
            checks,
            live,
            roles,  # hands signed-in sessions to roles.SignedInUserBackend
            search,
            source_tallies,
            tallies,
        )

        # The SQLite search triggers call Python; every connection needs the function.
        connection_created.connect(search.register_functions)
        post_migrate.connect(search.repair_after_migrate, sender=self)
        # The dashboard's tallies' triggers (annotations/tallies.py).
        pre_migrate.connect(tallies.drop_before_migrate, sender=self)
        post_migrate.connect(tallies.repair_after_migrate, sender=self)
        # The sources' usage counts' triggers (annotations/source_tallies.py).
        pre_migrate.connect(source_tallies.drop_before_migrate, sender=self)
        post_migrate.connect(source_tallies.repair_after_migrate, sender=self)
        live.connect_signals()
