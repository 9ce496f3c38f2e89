"""What email-validator decides for us, and what we keep on top of it."""

import pytest

from salesagent_dagster.domain.email_address import InvalidEmailAddress, parse_email_address


def reason(raw: str) -> str:
    with pytest.raises(InvalidEmailAddress) as caught:
        parse_email_address(raw)
    return caught.value.reason


def test_the_local_part_is_kept_as_typed_even_for_role_names():
    # email-validator lower-cases RFC 2142 names; the address we write to is the one given.
    assert parse_email_address("Postmaster@Example.com").address == "Postmaster@example.com"
    assert parse_email_address("Sales@acme.io").is_role_account


def test_a_trailing_root_dot_names_the_same_domain():
    assert parse_email_address("ana@example.com.").address == "ana@example.com"


def test_international_domains_are_not_repaired_into_other_domains():
    # IDNA 2008: straße.de is its own domain, not strasse.de; a zero-width joiner is refused,
    # not dropped.
    assert parse_email_address("ana@straße.de").domain == "xn--strae-oqa.de"
    assert "internationalised" in reason("ana@ex\u200dample.com")


@pytest.mark.parametrize("domain", ["acme.local", "acme.onion", "acme.invalid"])
def test_reserved_names_cannot_receive_mail(domain):
    assert "host name" in reason(f"ana@{domain}")


def test_rfc_2606_test_domains_stay_usable_for_staging_and_test_suites():
    assert parse_email_address("ana@acme.test").domain == "acme.test"


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        ("josé@example.com", "local part"),
        ("ana b@example.com", "local part"),
        ('"ana"@example.com', "local part"),
        ("x" * 64 + "@example.com", None),
        ("ana@example.com1", "host name"),
        ("ana@a..com", "host name"),
        ("ana@" + "a" * 64 + ".com", "host name"),
        ("ana@1.2.3.4", "IP address"),
        ("ana@[1.2.3.4]", "host name"),
        ("ana@😀.com", "internationalised"),
    ],
)
def test_syntax_edges(raw, reason_part):
    if reason_part is None:
        assert parse_email_address(raw).address == raw
    else:
        assert reason_part in reason(raw)
