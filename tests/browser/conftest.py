"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Skipped locally (with a message) when Chromium is not installed; in CI (``CI=true``) a missing
Chromium fails the run instead, so browser tests can never silently stop running there.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("FACTCHECK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"  # the factories' password

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests
# themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(trylast=True)  # after pytest-django has ordered the tests by database use
def pytest_collection_modifyitems(items):
    """Browser tests are marked ``browser`` and run last. Playwright's synchronous API keeps
    its event loop running in the main thread from the first browser test to the end of the
    session, and a later test calling ``async_to_sync`` there failed ("You cannot use
    AsyncToSync in the same thread as an async event loop")."""
    in_browser, others = [], []
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            in_browser.append(item)
        else:
            others.append(item)
    items[:] = others + in_browser


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; skips the test locally without it, fails it in CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI and was not found at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install chromium` to run browser tests")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def sign_in():
    """``sign_in(page, user)`` signs in through the real login form."""

    def sign_in(page, user, password=PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """Where browser tests save screenshots.

    ``make screenshots`` (``FACTCHECK_SCREENSHOTS=1``) writes the ones the README links to
    docs/screenshots; an ordinary test run writes to a temporary folder, so running the tests
    never changes tracked files.
    """
    if os.environ.get("FACTCHECK_SCREENSHOTS"):
        path = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    else:
        path = tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def run_jobs():
    """``run_jobs()`` runs the real job worker (``manage.py run_worker --batch``) in the test's
    thread, on its own connection to the test database, as a worker process beside the server
    would."""
    import io

    from django.core.management import call_command

    def run_jobs():
        call_command(
            "run_worker", batch=True, reload=False, startup_delay=False, stdout=io.StringIO()
        )

    return run_jobs


@pytest.fixture
def download_from_job(run_jobs):
    """After a click that started a background job: run it, then download its file from the
    job's page. Returns Playwright's download."""

    def download(page):
        page.locator("#job-progress").wait_for()
        # Away from the polling page while the worker runs in this thread, then back to it.
        job_page = page.url
        page.goto("about:blank")
        run_jobs()
        page.goto(job_page)
        link = page.locator("#job-progress").get_by_role("link", name="Download")
        link.wait_for()
        with page.expect_download() as info:
            link.click()
        return info.value

    return download


def mouse_drag(page, box: dict) -> None:
    """Press at ``box``'s (x1, y1), move through its middle and release at (x2, y2), as a
    person selecting words with the mouse does."""
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()
