"""System checks of the deployment (``manage.py check --deploy``)."""

from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def public_base_url_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """factcheck.W001: the public base URL is unset or a loopback address. Published markup
    (ClaimReview, the fact-check pages' links) would point at this machine; the ClaimReview
    export refuses to run so with debug off."""
    from annotations.exporters.claimreview import public_address_problem

    problem = public_address_problem(debug=False)
    if not problem:
        return []
    return [
        checks.Warning(
            problem,
            hint="Set FACTCHECK_PUBLIC_BASE_URL to the address readers use, e.g. "
            "https://factcheck.example.org.",
            id="factcheck.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def fetch_loopback_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """factcheck.E002: the fetcher may reach this server's loopback services (tests only)."""
    from django.conf import settings

    if not settings.FACTCHECK_FETCH_ALLOW_LOOPBACK:
        return []
    return [
        checks.Error(
            "FACTCHECK_FETCH_ALLOW_LOOPBACK is on: links could reach services on this machine.",
            hint="It is for tests' own servers only; leave it off in every deployment.",
            id="factcheck.E002",
        )
    ]
