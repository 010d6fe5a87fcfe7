"""vaebook.claims: numerals read as the prose writes them, claims that hold and claims that fail."""

import numpy as np
import pytest

from vaebook.claims import ClaimError, claim, claim_that, numbers_in

pytestmark = pytest.mark.backend_independent


def test_numerals_are_read_as_written():
    found = numbers_in("KL 0.12 nats against 4.5, 3,200 digits, −0.3 and 2·10⁻⁵ or 3\\cdot 10^{-3}; 16 %")
    assert [n.text for n in found] == ["0.12", "4.5", "3,200", "−0.3", "2·10⁻⁵", "3\\cdot 10^{-3}", "16"]
    assert [n.value for n in found] == pytest.approx([0.12, 4.5, 3200, -0.3, 2e-5, 3e-3, 16])
    assert [n.unit for n in found] == pytest.approx([0.01, 0.1, 1, 0.1, 1e-5, 1e-3, 1])


def test_a_power_of_ten_alone_is_one_number():
    found = numbers_in("below $10^{-4}$, 10⁻³ and 10^3 but not 10 or 104")
    assert [(n.text, n.value) for n in found] == [
        ("10^{-4}", 1e-4),
        ("10⁻³", 1e-3),
        ("10^3", 1e3),
        ("10", 10),
        ("104", 104),
    ]


def test_latex_thousands_separators_are_read():
    (number,) = numbers_in("$9{,}990{,}000$")
    assert (number.text, number.value, number.unit) == ("9{,}990{,}000", 9990000.0, 1.0)


def test_numerals_inside_words_are_not_numbers():
    assert numbers_in("ch10-surgery, float32, a T4, MNIST-1D, \\log2") == []


def test_a_claim_holds_within_its_printed_precision(monkeypatch):
    monkeypatch.setenv("VAEBOOK_PROFILE", "quick")
    assert claim("105 nats against 209", 105.4, np.float32(208.6))
    assert claim("KL 0.12 nats", 0.129)  # one unit of the last digit
    with pytest.raises(ClaimError, match="0.12 stated, 0.135"):
        claim("KL 0.12 nats", 0.135)


def test_none_leaves_a_number_to_another_claim_and_tol_widens(monkeypatch):
    monkeypatch.setenv("VAEBOOK_PROFILE", "quick")
    assert claim("0 of 16 units active", 0, None)
    assert claim("about 40 nats", 43.0, tol=5)
    assert claim("6 % against 16 %", 6.4, 21.0, tol=[None, 6])
    with pytest.raises(ClaimError):
        claim("about 40 nats", 46.0, tol=5)


def test_a_claim_is_asserted_only_in_its_profile(monkeypatch):
    monkeypatch.setenv("VAEBOOK_PROFILE", "smoke")
    assert claim("105 nats", 250.0, profile="quick") is False  # not asserted, so no error
    assert claim_that("the best in the table", False, profile=("quick", "full")) is False
    with pytest.raises(ClaimError):
        claim("105 nats", 250.0, profile=("smoke", "quick"))
    with pytest.raises(ClaimError):
        claim("105 nats", 250.0)  # every profile


def test_claim_that_asserts_its_condition(monkeypatch):
    monkeypatch.setenv("VAEBOOK_PROFILE", "quick")
    assert claim_that("the best in the table", np.bool_(True))
    with pytest.raises(ClaimError, match="the best in the table"):
        claim_that("the best in the table", 1 < 0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: claim("", 1.0), "non-empty string"),
        (lambda: claim("no number here", 1.0), "holds no number"),
        (lambda: claim("105 nats against 209", 105.0), "holds 2 number"),
        (lambda: claim("105 nats", None), "asserts nothing"),
        (lambda: claim("105 nats", 105.0, tol=-1), "tolerance"),
        (lambda: claim("105 nats", 105.0, tol=[1, 2]), "tolerance"),
        (lambda: claim("105 nats", 105.0, profile="fast"), "profile"),
        (lambda: claim("105 nats", "a lot"), "must be a number"),
        (lambda: claim("105 nats", np.ones(3)), "single number"),
        (lambda: claim_that("the best", 0.5), "as a bool"),
        (lambda: numbers_in(3.0), "expects a string"),
    ],
)
def test_bad_input_is_a_value_error(call, message, monkeypatch):
    monkeypatch.setenv("VAEBOOK_PROFILE", "quick")
    with pytest.raises(ValueError, match=message):
        call()


def test_warn_mode_prints_every_failure_and_goes_on(monkeypatch, capsys):
    monkeypatch.setenv("VAEBOOK_PROFILE", "quick")
    monkeypatch.setenv("VAEBOOK_CLAIMS", "warn")
    assert claim("105 nats against 209", 104.0, 250.0) is False
    assert claim_that("the best in the table", False) is False
    out = capsys.readouterr().out
    assert "209 stated, 250 computed" in out and "the best in the table" in out
    monkeypatch.setenv("VAEBOOK_CLAIMS", "ignore")
    with pytest.raises(ValueError, match="VAEBOOK_CLAIMS"):
        claim("105 nats", 250.0)


def test_a_stated_bound_is_asserted_as_a_bound(monkeypatch):
    monkeypatch.setenv("VAEBOOK_PROFILE", "quick")
    assert claim("below 0.6 for every digit", 0.21, bound="upper")
    assert claim("more than 20 nats", 35.0, bound="lower")
    with pytest.raises(ClaimError, match="upper bound"):
        claim("below 0.6 for every digit", 0.61, bound="upper")
    with pytest.raises(ValueError, match="bound"):
        claim("below 0.6", 0.5, bound="below")
