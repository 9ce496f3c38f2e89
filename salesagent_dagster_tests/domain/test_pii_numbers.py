"""The number rules python-stdnum applies for the PII check, and the digits we feed it."""

import pytest
from stdnum.iso7064 import mod_97_10

from salesagent_dagster.domain.safety.pii import find_pii, is_valid_iban, is_valid_ssn


def kinds(text):
    return [finding.kind for finding in find_pii(text)]


def test_digits_of_other_scripts_are_the_same_number():
    assert kinds("SSN ١٢٣-٤٥-٦٧٨٩") == ["US social security number"]
    assert kinds("card ٤١١١ ١١١١ ١١١١ ١١١١") == ["payment card number"]
    assert find_pii("x\nSSN ١٢٣-٤٥-٦٧٨٩")[0].where == "body line 2, column 5"


def test_ssns_made_public_in_advertising_are_not_personal():
    assert not is_valid_ssn("078", "05", "1120")
    assert kinds("the wallet card said 078-05-1120") == []
    assert is_valid_ssn("078", "05", "1121")


@pytest.mark.parametrize(
    "iban",
    ["GB82 WEST 1234 5698 7654 32", "NO9386011117947", "FR1420041010050500013M02606"],
)
def test_ibans_of_registered_countries_are_found(iban):
    assert is_valid_iban(iban)
    assert kinds(f"pay to {iban} today") == ["IBAN"]


def with_check_digits(country: str, bban: str) -> str:
    return country + mod_97_10.calc_check_digits(bban + country) + bban


@pytest.mark.parametrize(
    "fake",
    [
        with_check_digits("XX", "12345678901234"),  # no such country
        with_check_digits("DE", "3704004405320130001"),  # German IBANs are 22 characters
    ],
)
def test_a_checksum_alone_does_not_make_an_iban(fake):
    assert mod_97_10.is_valid(fake[4:] + fake[:4])
    assert not is_valid_iban(fake)
