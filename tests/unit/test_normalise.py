import pytest

from graphrisk.normalise import normalise_identifier


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        ("phone", "+1 (555) 010-2000", "15550102000"),
        ("phone", "0044 20 7946 0018", "+44-20-7946-0018"),
        ("email", " J.Doe@Mail.COM ", "j.doe@mail.com"),
        ("address", "12 Linden Street, Berlin", "12 LINDEN ST. BERLIN"),
        ("device", "DEV-91 ", "dev-91"),
        ("ip", "2001:db8:0:0:0:0:0:1", "2001:db8::1"),
    ],
)
def test_equal_identifiers_written_differently_match(kind: str, a: str, b: str) -> None:
    assert normalise_identifier(kind, a) == normalise_identifier(kind, b)


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        ("phone", "+1 555 010 2000", "+1 555 010 2001"),
        ("email", "a@x.com", "b@x.com"),
        ("address", "12 Linden St", "14 Linden St"),
    ],
)
def test_different_identifiers_stay_different(kind: str, a: str, b: str) -> None:
    assert normalise_identifier(kind, a) != normalise_identifier(kind, b)


def test_unparseable_values_normalise_to_nothing() -> None:
    assert normalise_identifier("phone", "n/a") == ""
    assert normalise_identifier("ip", "300.1.1.1") == ""
