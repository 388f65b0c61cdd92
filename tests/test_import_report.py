import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotations.importers.report import ReportImportError, import_report
from annotations.models import Article, Claim, Comment, Role, User
from tests.export_helpers import worked_example, worked_example_by_the_rules
from tests.factories import UserFactory
from tests.test_export_json import export_json, wipe_database

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported():
    worked_example()
    text = export_json()
    wipe_database()
    return json.loads(text)


def assert_nothing_imported():
    assert Article.objects.count() == 0
    assert Claim.objects.count() == 0
    assert User.objects.count() == 0


def test_not_json_is_refused_with_position():
    with pytest.raises(ReportImportError, match=r"Not valid JSON \(line 1, column 2\)"):
        import_report("{nope")


def test_other_schema_version_is_refused(exported):
    exported["schema_version"] = 3
    with pytest.raises(ReportImportError, match="schema_version 3 is not supported"):
        import_report(exported)
    assert_nothing_imported()


def test_missing_schema_version_is_refused(exported):
    del exported["schema_version"]
    with pytest.raises(ReportImportError, match="'schema_version' is missing"):
        import_report(exported)


def test_missing_field_is_reported_with_its_place(exported):
    del exported["articles"][1]["claims"][2]["quote"]
    with pytest.raises(ReportImportError, match=r"articles\[1\]\.claims\[2\]: the field 'quote'"):
        import_report(exported)
    assert_nothing_imported()


def test_a_late_error_rolls_back_everything_written_before_it(exported):
    # The first article is fine and would be written; the second's claim is off its text.
    exported["articles"][1]["claims"][0]["start"] += 1
    exported["articles"][1]["claims"][0]["end"] += 1
    with pytest.raises(ReportImportError, match="the quote is not at offsets"):
        import_report(exported)
    assert_nothing_imported()


def test_tampered_text_is_refused(exported):
    exported["articles"][0]["raw_text"] += " (edited)"
    with pytest.raises(ReportImportError, match="content_hash"):
        import_report(exported)
    assert_nothing_imported()


def test_unknown_choice_is_refused(exported):
    exported["articles"][0]["claims"][0]["state"] = "published"
    with pytest.raises(ReportImportError, match="'state' is 'published'"):
        import_report(exported)


def test_import_command_reports_a_bad_file_clearly(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "articles": 3}', encoding="utf-8")
    with pytest.raises(CommandError, match="'articles' must be a list. Nothing was imported."):
        call_command("import_report", str(bad))


# --- Imports obey the rules the pages enforce -------------------------------------------------


@pytest.fixture
def by_the_rules():
    """An export whose approvals all keep the rules: every approved claim cites a source, was
    proposed by rowan (a reviewer) and approved by ellis (an editor)."""
    worked_example_by_the_rules()
    text = export_json()
    wipe_database()
    return json.loads(text)


def claim_entry(data: dict, quote: str, article: int = 0) -> dict:
    return next(c for c in data["articles"][article]["claims"] if c["quote"] == quote)


def import_file(tmp_path, data: dict, *args) -> tuple[str, str]:
    """Run the command on ``data``; its standard output and error."""
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_report", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def assert_held_for_review(quote: str, why: str, article: int = 0) -> Claim:
    claim = Claim.objects.get(quote=quote, article__title=Article.objects.all()[article].title)
    assert claim.state == Claim.State.NEEDS_REVIEW
    assert claim.approved_by is None and claim.approved_at is None
    assert claim.verdict is not None  # the proposal stays for a second editor to judge
    note = claim.comments.get(body__startswith="Imported as")
    assert why in note.body
    assert claim.history.get().history_change_reason.startswith("Imported as needs review")
    return claim


@pytest.mark.parametrize(
    "name, why",
    [
        ("bad name", "Enter a valid username"),
        ("<script>", "Enter a valid username"),
        ("x" * 151, "at most 150 characters"),
        ("", "cannot be blank"),
        ("\uff45llis", "the user form would store it as 'ellis'"),
    ],
)
def test_a_user_name_the_admin_would_refuse_refuses_the_file(by_the_rules, tmp_path, name, why):
    by_the_rules["users"].append({"username": name})
    with pytest.raises(CommandError) as refused:
        import_file(tmp_path, by_the_rules)
    message = str(refused.value)
    assert "\n" not in message
    assert f"users[2].username: {name!r} is not a user name the admin would accept" in message
    assert why in message
    assert message.endswith("Nothing was imported.")
    assert_nothing_imported()


def test_a_bad_user_name_in_a_claim_refuses_the_file_and_says_where(by_the_rules, tmp_path):
    claim_entry(by_the_rules, "12.4 million passengers", article=1)["assignee"] = "eve smith"
    with pytest.raises(CommandError, match=r"articles\[1\]\.claims\[\d\]\.assignee: 'eve smith'"):
        import_file(tmp_path, by_the_rules)
    assert_nothing_imported()


def test_a_name_differing_from_an_existing_user_only_in_case_is_refused(by_the_rules, tmp_path):
    UserFactory(username="Ellis")
    with pytest.raises(CommandError, match="'ellis' differs only in case from the user 'Ellis'"):
        import_file(tmp_path, by_the_rules)
    assert Article.objects.count() == 0
    assert User.objects.count() == 1


def test_existing_users_are_matched_whatever_their_names(by_the_rules):
    # Nothing is created for a user who exists, so a name from before the rules still matches.
    legacy = UserFactory(username="old name", role=Role.REVIEWER)
    claim_entry(by_the_rules, "12.4 million passengers")["assignee"] = "old name"
    import_report(by_the_rules)
    assert Claim.objects.filter(assignee=legacy).count() == 1


def test_an_approval_without_a_citation_comes_in_as_needs_review(by_the_rules, tmp_path):
    claim_entry(by_the_rules, "3,000 people a day")["citations"] = []
    out, err = import_file(tmp_path, by_the_rules)
    assert_held_for_review("3,000 people a day", "no source is cited")
    assert err.splitlines() == [
        'NEEDS REVIEW articles[0].claims[2] "3,000 people a day": no source is cited.'
    ]
    assert Claim.objects.filter(state=Claim.State.APPROVED).count() == 5


def test_an_approval_by_its_own_proposer_comes_in_as_needs_review(by_the_rules, tmp_path):
    entry = claim_entry(by_the_rules, "12.4 million passengers")
    entry["verdict_proposed_by"] = "ellis"
    out, err = import_file(tmp_path, by_the_rules)
    claim = assert_held_for_review(
        "12.4 million passengers", "ellis both proposed and approved the verdict"
    )
    assert claim.verdict_proposed_by.username == "ellis"
    assert "both proposed and approved" in err
    assert len(err.splitlines()) == 1


def test_an_approval_naming_no_approver_comes_in_as_needs_review(by_the_rules):
    claim_entry(by_the_rules, "12.4 million passengers")["approved_by"] = None
    summary = import_report(by_the_rules)
    assert_held_for_review("12.4 million passengers", "no approver is named")
    assert len(summary.held_for_review) == 1


def test_an_approval_by_someone_who_is_not_an_editor_here_comes_in_as_needs_review(
    by_the_rules, tmp_path
):
    UserFactory(username="ellis", role=Role.REVIEWER)
    out, err = import_file(tmp_path, by_the_rules)
    for article in (0, 1):
        for quote in ("12.4 million passengers", "94% of buses ran on time"):
            assert_held_for_review(
                quote, "ellis, who approved it, is not an active editor", article
            )
    assert not Claim.objects.filter(state=Claim.State.APPROVED).exists()
    assert len(err.splitlines()) == 6
    assert all(line.startswith("NEEDS REVIEW articles[") for line in err.splitlines())


def test_an_approval_by_a_deactivated_editor_comes_in_as_needs_review(by_the_rules):
    UserFactory(username="ellis", role=Role.EDITOR, is_active=False)
    import_report(by_the_rules)
    assert_held_for_review("12.4 million passengers", "ellis, who approved it, is not an active")


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_an_approval_by_an_editor_here_is_kept(by_the_rules, tmp_path, role):
    UserFactory(username="ellis", role=role)
    out, err = import_file(tmp_path, by_the_rules)
    assert err == ""
    approved = Claim.objects.filter(state=Claim.State.APPROVED, approved_by__username="ellis")
    assert approved.count() == 6
    assert not Comment.objects.filter(body__startswith="Imported as").exists()


def test_approvals_by_people_new_here_are_kept_and_the_output_says_so(by_the_rules, tmp_path):
    # The file holds no roles: whoever the import creates cannot be checked, so a restore into
    # an empty database keeps its approvals, and the output tells the admin whose to check.
    out, err = import_file(tmp_path, by_the_rules)
    assert err == ""
    assert Claim.objects.filter(state=Claim.State.APPROVED).count() == 6
    assert (
        "6 approvals kept as exported, by people with no role here (ellis): the file holds "
        "no roles; check theirs before activating them."
    ) in out.splitlines()


def test_approvals_by_an_account_an_earlier_import_created_are_kept(by_the_rules):
    # A restore in two steps: the first leaves ellis as an inactive account without a role.
    first = json.loads(json.dumps(by_the_rules))
    first["articles"] = first["articles"][:1]
    import_report(first)
    summary = import_report(by_the_rules)
    assert summary.held_for_review == []
    assert summary.unchecked_approvals == {"ellis": 3}
    assert Claim.objects.filter(state=Claim.State.APPROVED).count() == 6


def test_an_approval_without_a_verdict_comes_in_as_in_progress(by_the_rules, tmp_path):
    claim_entry(by_the_rules, "12.4 million passengers")["verdict"] = None
    out, err = import_file(tmp_path, by_the_rules)
    claim = Claim.objects.get(quote="12.4 million passengers", verdict=None)
    assert claim.state == Claim.State.IN_PROGRESS
    assert claim.approved_by is None and claim.approved_at is None
    assert "no verdict" in claim.comments.get(body__startswith="Imported as").body
    assert 'IN PROGRESS articles[0].claims[0] "12.4 million passengers": no verdict' in err


def test_the_note_names_the_approval_it_replaced_and_is_signed_by_the_importer(
    by_the_rules, tmp_path, admin_user
):
    entry = claim_entry(by_the_rules, "3,000 people a day")
    entry["citations"] = []
    import_file(tmp_path, by_the_rules, "--user", "ada")
    note = Comment.objects.get(body__startswith="Imported as")
    assert note.author == admin_user
    assert "approved by ellis" in note.body
    assert entry["approved_at"][:10] in note.body


def test_an_unknown_importing_user_is_refused(by_the_rules, tmp_path):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        import_file(tmp_path, by_the_rules, "--user", "nobody")
    assert_nothing_imported()


def test_a_file_keeping_the_rules_round_trips_without_a_note(by_the_rules):
    text = json.dumps(by_the_rules)
    summary = import_report(text)
    assert summary.held_for_review == []
    assert Claim.objects.filter(state=Claim.State.APPROVED).count() == 6
    assert not Comment.objects.filter(body__startswith="Imported as").exists()
    assert json.loads(export_json()) == by_the_rules


def test_a_name_longer_than_the_user_form_allows_refuses_the_file(by_the_rules, tmp_path):
    by_the_rules["users"][1]["first_name"] = "R" * 151
    with pytest.raises(CommandError, match=r"users\[1\]\.first_name: Ensure this value has at"):
        import_file(tmp_path, by_the_rules)
    assert_nothing_imported()
