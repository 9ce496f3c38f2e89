import pytest

from salesagent_dagster.domain.safety.content import (
    ContentPolicy,
    ContentPolicyError,
    default_content_policy,
    find_prohibited_content,
    find_unresolved_placeholders,
)
from salesagent_dagster.domain.safety.pii import find_pii, is_valid_iban, luhn_valid
from salesagent_dagster.domain.safety.recipient import RecipientPolicy, check_recipient


def kinds(text):
    return [finding.kind for finding in find_pii(text)]


@pytest.mark.parametrize(
    "text",
    [
        "my card is 4111 1111 1111 1111 thanks",
        "card: 4111-1111-1111-1111",
        "4111111111111111",
        "amex 3782 822463 10005",
        "full-width ４１１１ １１１１ １１１１ １１１１",
    ],
)
def test_card_numbers_are_found_in_any_spacing(text):
    assert kinds(text) == ["payment card number"]


@pytest.mark.parametrize(
    "text",
    [
        "our plan costs $1,299.00 per year",
        "call +1 415 555 0100 1234",
        "order 4111 1111 1111 1112",  # fails Luhn
        "version 1234567890123",
    ],
)
def test_prices_phones_and_non_luhn_numbers_are_not_cards(text):
    assert "payment card number" not in kinds(text)


def test_ssn_ranges_that_are_never_issued_are_ignored():
    assert kinds("SSN 123-45-6789") == ["US social security number"]
    assert kinds("ref 000-12-3456") == []
    assert kinds("ref 666-12-3456") == []
    assert kinds("ref 912-12-3456") == []
    assert kinds("ref 123-00-3456") == []
    assert kinds("my ssn is 123456789") == ["US social security number"]
    assert kinds("order 123456789") == []


def test_iban_and_secrets():
    assert is_valid_iban("DE89370400440532013000")
    assert kinds("pay to DE89 3704 0044 0532 0130 00") == ["IBAN"]
    assert kinds("key AKIAABCDEFGHIJKLMNOP") == ["AWS access key"]
    assert kinds("-----BEGIN RSA PRIVATE KEY-----") == ["private key"]
    assert kinds("password = hunter2hunter2") == ["credential assignment"]


def test_findings_say_where_but_never_quote_the_value():
    finding = find_pii("Hi\nmy card 4111111111111111")[0]
    assert finding.where == "body line 2, column 9"
    assert "4111" not in finding.describe()


def test_luhn():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_policy_phrases_match_on_word_boundaries_any_case():
    policy = default_content_policy()
    assert [f.kind for f in find_prohibited_content("We GUARANTEE\nresults!", policy)] == [
        "guarantees",  # "guarantee results", across the line break
        "guarantees",  # "we guarantee"
    ]
    assert {f.kind for f in find_prohibited_content("we guarantee results", policy)} == {
        "guarantees"
    }
    assert [f.kind for f in find_prohibited_content("You are a Winner!", policy)] == [
        "spam_phrases"
    ]
    assert find_prohibited_content("a winnerless game", policy) == []


def test_policy_file_errors_are_clear(tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text("[categories.x]\nphrases = 'not a list'\n")
    with pytest.raises(ContentPolicyError, match=r"categories\.x\.phrases"):
        ContentPolicy.load(bad)


def test_unresolved_placeholders():
    assert len(find_unresolved_placeholders("Hi {{first_name}}, [Company] {name} %FIRST%")) == 4
    assert find_unresolved_placeholders("Pricing {per seat} is fine") == []


def test_recipient_rules():
    policy = RecipientPolicy(
        deny=frozenset({"blocked.io"}), competitor_domains=frozenset({"rival.com"})
    )
    assert check_recipient("ana@acme.io", policy, is_suppressed=False) == []
    rules = lambda addr, **kw: [f.rule for f in check_recipient(addr, policy, **kw)]  # noqa: E731
    assert rules("ana@blocked.io", is_suppressed=False) == ["denylist"]
    assert rules("ana@acme.io", is_suppressed=True) == ["suppression"]
    assert rules("ana@rival.com", is_suppressed=False) == ["competitor"]
    assert rules("info@acme.io", is_suppressed=False) == ["role_account"]
    assert rules("not-an-address", is_suppressed=False) == ["invalid_recipient"]
    allow_only = RecipientPolicy(allow=frozenset({"acme.io"}))
    assert check_recipient("bo@other.io", allow_only, is_suppressed=False)[0].rule == "allowlist"
    assert check_recipient("bo@acme.io", allow_only, is_suppressed=False) == []


@pytest.mark.parametrize(
    "text",
    [
        # Found by `salesagent bench --faults`: a 32-hex unsubscribe signature happened to hold
        # a Luhn-valid, Visa-prefixed run of digits in 3 of 1,000 drafts.
        "Unsubscribe: https://seller.example/unsubscribe?lead=sub_1&sig=ab4111111111111111cd",
        "https://seller.example/u?sig=4111111111111111",
        "id sub_4111111111111111",
        "token x123-45-6789y",
    ],
)
def test_digits_inside_tokens_and_urls_are_not_pii(text):
    assert kinds(text) == []
