"""The ASGI application: every page (Django's views, run in threads) and the live updates'
WebSocket (``/live/``, ``annotations.consumers.LiveConsumer``) from one server process.

``make demo`` serves it with Daphne (``runserver``), ``bin/serve`` with Uvicorn workers under
gunicorn.
"""

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

# Django is set up before the consumer (and its models) is imported.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

# Loading the WSGI module readies the process as for gunicorn's sync workers: every template
# compiled, the loaded heap frozen out of the garbage collector's reach (factcheck/wsgi.py).
import factcheck.wsgi  # noqa: E402, F401
from annotations import live  # noqa: E402
from annotations.consumers import LiveConsumer  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_application,
        # The session cookie signs the socket in; a page of another origin cannot open it.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path("live/", LiveConsumer.as_asgi())]))
        ),
    }
)


async def application(scope, receive, send):
    # The views' live announcements join the loop the live sockets are served on
    # (``annotations.live``): the in-memory channel layer is used from that loop only.
    live.serving(asyncio.get_running_loop())
    return await router(scope, receive, send)
