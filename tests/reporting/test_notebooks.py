"""The notebooks run top to bottom, headless, on a worked bank in each store.

Each notebook is executed with nbclient in a kernel of this virtualenv, the way papermill
would run it: the store comes from the ``GRAPHRISK_*`` variables the kernel inherits, and a
case is chosen by a cell injected after the ``parameters`` cell. The stored notebooks must
stay free of outputs, so that git only ever sees their code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from graphrisk import analyst
from tests.reporting.conftest import WorkedBank

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CASE_NOTEBOOK = NOTEBOOKS / "case_retrospective.ipynb"
PORTFOLIO_NOTEBOOK = NOTEBOOKS / "portfolio_review.ipynb"
#: The last cell every executed copy gets: which Python the kernel runs.
WHICH_PYTHON = "import sys\nprint(f'kernel python: {sys.executable}')"
#: Figures each notebook draws: network, timeline, score history; alerts by rule, precision,
#: time to close, migrations, model runs (each drawn also when its data is missing).
CASE_FIGURES, PORTFOLIO_FIGURES = 3, 5


def with_parameters(notebook: Any, **values: object) -> Any:
    """Insert ``name = value`` lines after the ``parameters`` cell, as papermill does."""
    at = next(i for i, cell in enumerate(notebook.cells)
              if "parameters" in cell.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell("\n".join(f"{name} = {value!r}"
                                                   for name, value in values.items()))
    injected.metadata["tags"] = ["injected-parameters"]
    notebook.cells.insert(at + 1, injected)
    return notebook


def execute(path: Path, workdir: Path, **parameters: object) -> Any:
    """Run a copy of the notebook in a fresh python3 kernel; raise on the first error."""
    notebook = nbformat.read(path, as_version=4)
    if parameters:
        with_parameters(notebook, **parameters)
    notebook.cells.append(nbformat.v4.new_code_cell(WHICH_PYTHON))
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return notebook


def outputs(notebook: Any) -> list[Any]:
    return [output for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs]


def text_of(notebook: Any) -> str:
    """Everything the notebook printed or displayed as text (plain, markdown, HTML)."""
    parts = []
    for output in outputs(notebook):
        if output.output_type == "stream":
            parts.append(output.text)
        for mime in ("text/plain", "text/markdown", "text/html"):
            parts.append(output.get("data", {}).get(mime, ""))
    return "\n".join(parts)


def images(notebook: Any) -> int:
    return sum("image/png" in output.get("data", {}) for output in outputs(notebook))


def check_ran_cleanly(notebook: Any) -> None:
    """No error output anywhere, and the kernel was this virtualenv's Python."""
    errors = [o for o in outputs(notebook) if o.output_type == "error"]
    assert errors == [], [f"{e.ename}: {e.evalue}" for e in errors]
    printed = "".join(o.text for o in notebook.cells[-1].outputs if o.output_type == "stream")
    kernel_python = printed.removeprefix("kernel python: ").strip()
    assert Path(kernel_python).resolve() == Path(sys.executable).resolve(), printed


@pytest.fixture
def kernel_environment(worked_bank: WorkedBank, monkeypatch: pytest.MonkeyPatch) -> WorkedBank:
    """The kernel inherits this process's environment: point it at the worked bank."""
    for name, value in {**worked_bank.environment(), "OMP_NUM_THREADS": "1",
                        "MPLBACKEND": "Agg"}.items():
        monkeypatch.setenv(name, value)
    return worked_bank


# -- the stored notebooks ----------------------------------------------------------------


@pytest.mark.notebook
@pytest.mark.parametrize("path", [CASE_NOTEBOOK, PORTFOLIO_NOTEBOOK], ids=lambda p: p.stem)
def test_stored_notebooks_have_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert [(cell.execution_count, cell.outputs) for cell in code] == [(None, [])] * len(code)
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.notebook
def test_case_notebook_has_a_parameters_cell_that_defaults_to_the_best_case() -> None:
    notebook = nbformat.read(CASE_NOTEBOOK, as_version=4)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert [cell.cell_type for cell in tagged] == ["code"]
    namespace: dict[str, object] = {}
    exec(tagged[0].source, namespace)  # noqa: S102 - the notebook's own parameter line
    namespace.pop("__builtins__")
    assert namespace == {"case_id": None}


@pytest.mark.notebook
def test_portfolio_notebook_has_a_since_parameter_that_defaults_to_everything() -> None:
    notebook = nbformat.read(PORTFOLIO_NOTEBOOK, as_version=4)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert [cell.cell_type for cell in tagged] == ["code"]
    namespace: dict[str, object] = {}
    exec(tagged[0].source, namespace)  # noqa: S102 - the notebook's own parameter line
    namespace.pop("__builtins__")
    assert namespace == {"since": None}


# -- executed on each store --------------------------------------------------------------


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("which", ["confirmed", "still_open"])
def test_case_retrospective_runs_for_a_given_case(kernel_environment: WorkedBank, which: str,
                                                 tmp_path: Path) -> None:
    bank = kernel_environment
    case_id = getattr(bank, which)
    notebook = execute(CASE_NOTEBOOK, tmp_path, case_id=case_id)
    check_ran_cleanly(notebook)
    assert images(notebook) == CASE_FIGURES
    text = text_of(notebook)
    assert f"Case {case_id}" in text
    for subject in bank.service.monitoring.case(case_id).subjects:
        assert subject in text
    assert "From opening the case to the decision" in text
    if which == "still_open":
        assert "The case is still" in text


@pytest.mark.notebook
@pytest.mark.slow
def test_case_retrospective_without_a_parameter_shows_the_default_case(
        kernel_environment: WorkedBank, tmp_path: Path) -> None:
    notebook = execute(CASE_NOTEBOOK, tmp_path)
    check_ran_cleanly(notebook)
    assert images(notebook) == CASE_FIGURES
    assert f"Case {analyst.pick_case(kernel_environment.service)}" in text_of(notebook)


@pytest.mark.notebook
@pytest.mark.slow
def test_portfolio_review_runs(kernel_environment: WorkedBank, tmp_path: Path) -> None:
    bank = kernel_environment
    notebook = execute(PORTFOLIO_NOTEBOOK, tmp_path)
    check_ran_cleanly(notebook)
    assert images(notebook) == PORTFOLIO_FIGURES
    text = text_of(notebook)
    assert bank.confirmed in text
    for rule in bank.service.monitoring.case(bank.confirmed).rules:
        assert rule in text
    # how the tiers held against their precision targets, in the readable table
    assert "suggested bound" in text and "precision_there" not in text


@pytest.mark.notebook
@pytest.mark.slow
def test_portfolio_review_of_a_period_with_nothing_in_it_still_runs(
        kernel_environment: WorkedBank, tmp_path: Path) -> None:
    notebook = execute(PORTFOLIO_NOTEBOOK, tmp_path, since="2099-01-01")
    check_ran_cleanly(notebook)
    assert images(notebook) == PORTFOLIO_FIGURES
    text = text_of(notebook)
    assert "Since 2099-01-01: 0 live alerts, 0 cases" in text
    assert kernel_environment.confirmed not in text
