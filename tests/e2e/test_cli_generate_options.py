"""`graphrisk generate --profile/--synthetic-identities`: banks unlike the default, from the
command line, and a clear refusal of a profile that does not exist."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.helpers import run_graphrisk


def test_a_profile_and_synthetic_identities_from_the_cli(tmp_path: Path) -> None:
    home, plain, small = tmp_path / "home", tmp_path / "plain", tmp_path / "small"
    for out, extra in ((plain, ()), (small, ("--profile", "amounts_x0.01",
                                             "--synthetic-identities"))):
        done = run_graphrisk(home, "generate", "--customers", "600", "--seed", "4", "--out",
                             str(out), *extra)
        assert done.returncode == 0, done.stderr
    before = pd.read_csv(plain / "transactions.csv")["amount"]
    # (synthetic identities append payments to outside accounts after the bank's own)
    after = pd.read_csv(small / "transactions.csv")["amount"].iloc[:len(before)]
    # The same bank at a hundredth of the amounts (rounded to cents, at least 0.01).
    assert after.median() == round(before.median() / 100, 2)
    assert not (plain / "truth" / "same_person.csv").exists()
    same = pd.read_csv(small / "truth" / "same_person.csv")
    assert same["person_id"].nunique() >= 2
    assert len(pd.read_csv(small / "customers.csv")) > 600


def test_an_unknown_profile_is_refused_with_the_choices(tmp_path: Path) -> None:
    done = run_graphrisk(tmp_path / "home", "generate", "--customers", "600", "--out",
                         str(tmp_path / "out"), "--profile", "euro_bank")
    assert done.returncode == 2
    said = " ".join(done.stderr.split())
    assert "euro_bank" in said and "amounts_x0.01" in said and "Traceback" not in said
    assert not (tmp_path / "out").exists()
