import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

application = get_wsgi_application()


def warm_up() -> None:
    """Ready the process for requests, before a preloading server (``bin/serve``) forks it.

    The project's templates (``templates/``) are compiled now, once, instead of in each
    worker's first requests.
    Then everything loaded is frozen out of the garbage collector's reach: it lives as long as
    the process, and a full collection would otherwise walk all of it in the middle of some
    request (tens of milliseconds), and touch every page the workers share with the parent.
    """
    from django.conf import settings
    from django.template.loader import get_template

    for folder in settings.TEMPLATES[0]["DIRS"]:
        for path in sorted(folder.rglob("*.html")):
            get_template(path.relative_to(folder).as_posix())
    gc.collect()
    gc.freeze()


warm_up()
