import pytest

from salesagent_dagster.domain.email_address import (
    InvalidEmailAddress,
    email_fingerprint,
    parse_email_address,
)
from salesagent_dagster.domain.lead_profile import (
    build_lead_profile,
    clean_text,
    parse_employee_count,
    qualify,
    website_domain,
)
from salesagent_dagster.domain.submission import MalformedSubmission, parse_submission


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana@Example.COM ", "Ana@example.com"),
        ("ana+demo@sub.example.co.uk", "ana+demo@sub.example.co.uk"),
        ("jose@müller.de", "jose@xn--mller-kva.de"),
    ],
)
def test_valid_addresses_are_normalised(raw, expected):
    assert parse_email_address(raw).address == expected


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        (None, "missing"),
        ("", "missing"),
        ("ana@example.com\r\nBcc: x@evil.com", "line break"),
        ("no-at-sign.example.com", "exactly one @"),
        ("a@b@example.com", "exactly one @"),
        ("ana..b@example.com", "local part"),
        ("ana@localhost", "host name"),
        ("ana@-bad-.com", "host name"),
        ("ana@10.0.0.1", "IP address"),
        ("x" * 65 + "@example.com", "local part"),
    ],
)
def test_unusable_addresses_say_why(raw, reason_part):
    with pytest.raises(InvalidEmailAddress) as caught:
        parse_email_address(raw)
    assert reason_part in caught.value.reason


def test_fingerprint_ignores_case_and_depends_on_salt():
    assert email_fingerprint("Ana@Example.com", "s") == email_fingerprint("ana@example.com", "s")
    assert email_fingerprint("ana@example.com", "s") != email_fingerprint("ana@example.com", "t")


def test_clean_text_folds_line_breaks_and_controls():
    assert clean_text("Ana\r\nBcc: evil\x00") == "Ana Bcc: evil"
    assert clean_text("  Zoë \u2028 Ñúñez ") == "Zoë Ñúñez"


def test_profile_reads_hubspot_field_names_and_aliases():
    profile, problem = build_lead_profile(
        {
            "email": "li.lei@acme.io",
            "firstname": "李",
            "lastname": "雷",
            "company_name": "Acme",
            "jobtitle": "VP Sales",
            "numemployees": "51-200",
            "website": "https://www.Acme.io/pricing",
            "message": "Line one\r\nline two\x07",
        }
    )
    assert problem is None
    assert (profile.first_name, profile.last_name, profile.company) == ("李", "雷", "Acme")
    assert profile.employees == 51
    assert profile.website_domain == "acme.io"
    assert profile.message == "Line one\nline two"


def test_profile_without_email_records_the_problem():
    profile, problem = build_lead_profile({"firstname": "Ana"})
    assert profile.email is None
    assert problem == "email is missing"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1,000+", 1000), ("about 40", 40), ("", None), ("n/a", None)]
)
def test_employee_counts_take_the_lower_bound(raw, expected):
    assert parse_employee_count(raw) == expected


def test_website_domain_rejects_non_hosts():
    assert website_domain("not a site") is None
    assert website_domain("acme.io:8080/x") == "acme.io"


def _qualify(values, **overrides):
    profile, problem = build_lead_profile(values)
    options = {"is_suppressed": False, "is_duplicate": False, "competitor_domains": frozenset()}
    options.update(overrides)
    return qualify(profile, problem, **options)


def test_qualification_reasons_in_priority_order():
    assert _qualify({"email": "ana@acme.io"}).qualified
    assert _qualify({"email": "bad"}).reason.startswith("invalid email")
    assert _qualify({"email": "ana@acme.io"}, is_suppressed=True).reason.endswith(
        "suppression list"
    )
    assert _qualify({"email": "ana@acme.io"}, is_duplicate=True).reason.startswith("duplicate")
    assert _qualify({"email": "sales@acme.io"}).reason.startswith("role account")
    assert _qualify({"email": "x@mailinator.com"}).reason == "disposable email domain"
    assert (
        _qualify({"email": "ana@rival.com"}, competitor_domains=frozenset({"rival.com"})).reason
        == "competitor domain"
    )


def test_submission_parsing_tolerates_extra_keys_and_missing_conversion_id():
    item = {
        "submittedAt": 1_760_000_000_000,
        "values": [{"name": "email", "value": "a@b.io", "objectTypeId": "0-1"}],
    }
    parsed = parse_submission("form-1", item)
    assert parsed.values == {"email": "a@b.io"}
    assert parsed.conversion_id.startswith("sha256:")
    assert parse_submission("form-1", item).conversion_id == parsed.conversion_id


@pytest.mark.parametrize(
    "item",
    [
        "not an object",
        {"values": []},
        {"submittedAt": "yesterday", "values": []},
        {"submittedAt": 1, "values": "email=a@b.io"},
        {"submittedAt": 1, "values": [{"value": "no name"}]},
    ],
)
def test_malformed_submissions_raise_with_a_reason(item):
    with pytest.raises(MalformedSubmission) as caught:
        parse_submission("form-1", item)
    assert caught.value.reason
