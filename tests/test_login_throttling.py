"""Sign-in throttling that an attacker cannot turn against the people it protects.

A user name is locked only together with the address the failures came from; the address is
taken from the proxy's X-Forwarded-For only when DJANGO_BEHIND_TLS_PROXY says how many proxies
there are; failures spread over many addresses slow the user name down (a wait of seconds)
instead of locking it; and failures from one address never slow anyone down elsewhere.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
PROXY = "10.0.0.2"  # the TLS proxy, as the app sees it
ATTACKER = "203.0.113.9"
VICTIM = "198.51.100.7"


def through_proxy(*forwarded: str) -> Client:
    """A browser behind the proxy: the proxy appended the address it saw to X-Forwarded-For."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=", ".join(forwarded))


def sign_in(client, username, password=PASSWORD, url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def age_attempts(seconds: float) -> None:
    """Let time pass for the sign-in records."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(seconds=seconds)
        attempt.save(update_fields=["attempt_time"])


@pytest.fixture
def one_proxy(settings):
    settings.FACTCHECK_TRUSTED_PROXY_HOPS = 1


@pytest.mark.parametrize("url", ["login", "admin:login"])
def test_wrong_passwords_from_one_client_behind_the_proxy_do_not_lock_out_another(
    one_proxy, admin_user, url
):
    attacker = through_proxy(ATTACKER)
    for _ in range(4 * settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, admin_user.username, "wrong", url=reverse(url))
    # The attacker is locked out, even with the right password ...
    locked = sign_in(attacker, admin_user.username, url=reverse(url))
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert not signed_in(locked)
    # ... the real user, behind the same proxy, is not.
    assert signed_in(sign_in(through_proxy(VICTIM), admin_user.username, url=reverse(url)))


def test_a_client_cannot_choose_its_address_by_sending_the_header_itself(one_proxy, reviewer):
    # The attacker sends X-Forwarded-For: <victim>; the proxy appends the attacker's address.
    attacker = through_proxy(VICTIM, ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, reviewer.username, "wrong")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert signed_in(sign_in(through_proxy(VICTIM), reviewer.username))


def test_with_two_proxies_the_address_the_outer_one_saw_is_used(settings, reviewer):
    settings.FACTCHECK_TRUSTED_PROXY_HOPS = 2
    # client → load balancer (appends the client) → TLS proxy (appends the load balancer)
    sign_in(through_proxy("192.0.2.99", ATTACKER, "10.0.0.1"), reviewer.username, "wrong")
    assert AccessAttempt.objects.get().ip_address == ATTACKER


def test_without_a_proxy_the_header_is_ignored(settings, reviewer):
    settings.FACTCHECK_TRUSTED_PROXY_HOPS = 0
    attacker = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=VICTIM)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, reviewer.username, "wrong")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert sign_in(attacker, reviewer.username).status_code == 429
    assert signed_in(sign_in(Client(REMOTE_ADDR=VICTIM), reviewer.username))


def test_any_number_of_failures_from_one_address_never_slows_the_user_down_elsewhere(reviewer):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(50):
        sign_in(attacker, reviewer.username, "wrong")
    assert signed_in(sign_in(Client(REMOTE_ADDR=VICTIM), reviewer.username))


def test_a_lockout_is_not_renewed_by_failures_during_it(reviewer):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, reviewer.username, "wrong")
    locked_at = AccessAttempt.objects.get().attempt_time
    for _ in range(10):
        refused = sign_in(attacker, reviewer.username, "wrong")
        assert refused.status_code == 429
        cooloff = settings.AXES_COOLOFF_TIME * 3600
        assert cooloff - 60 < int(refused["Retry-After"]) <= cooloff
        assert "locked for 15 minutes" in refused.content.decode()
    attempt = AccessAttempt.objects.get()
    assert attempt.attempt_time == locked_at
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
    # The cool-off counts from the failure that caused the lockout.
    age_attempts(settings.AXES_COOLOFF_TIME * 3600 + 1)
    assert signed_in(sign_in(attacker, reviewer.username))


def test_failures_spread_over_many_addresses_slow_the_user_name_down_without_locking_it(
    reviewer,
):
    below_lockout = settings.AXES_FAILURE_LIMIT - 1
    addresses = [f"203.0.113.{n}" for n in range(1, 40)]
    failures = 0
    for address in addresses:
        for _ in range(below_lockout):
            sign_in(Client(REMOTE_ADDR=address), reviewer.username, "wrong")
            failures += 1
        if failures > settings.FACTCHECK_LOGIN_THROTTLE_AFTER + 2:
            break
    # Now every address waits before its password is even checked ...
    refused = sign_in(Client(REMOTE_ADDR=VICTIM), reviewer.username)
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 0 < wait <= settings.FACTCHECK_LOGIN_THROTTLE_MAX_SECONDS
    assert f"{wait} second" in refused.content.decode()
    assert not signed_in(refused)
    # ... and what is refused unchecked is not a guess: it counts for nothing.
    counted = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    for address in addresses[-3:]:
        assert sign_in(Client(REMOTE_ADDR=address), reviewer.username, "wrong").status_code == 429
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == counted
    # Once the wait is over, the right password works: a delay, not a lockout.
    age_attempts(wait)
    assert signed_in(sign_in(Client(REMOTE_ADDR=VICTIM), reviewer.username))


def test_the_wait_grows_with_each_failure_up_to_its_ceiling(settings, reviewer):
    settings.FACTCHECK_LOGIN_THROTTLE_MAX_SECONDS = 8
    waits = []
    for n in range(1, 30):
        address = f"203.0.113.{n}"
        age_attempts(10)  # each guess after the previous wait is over
        sign_in(Client(REMOTE_ADDR=address), reviewer.username, "wrong")
        refused = sign_in(Client(REMOTE_ADDR=VICTIM), reviewer.username)
        waits.append(int(refused["Retry-After"]) if refused.status_code == 429 else 0)
    throttled = [wait for wait in waits if wait]
    assert throttled[:4] == [1, 2, 4, 8]
    assert set(throttled[4:]) == {8}
    assert waits.index(1) == settings.FACTCHECK_LOGIN_THROTTLE_AFTER - 1
