"""Writing a report: the HTML file, the PDF beside it where a browser can print one.

Why one place: every report holds personal data (names, accounts, transactions), so each is
written the same way — a private folder (0700) and private files (0600) — and says where it
went and, when no PDF was made, why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from graphrisk.errors import GraphRiskError
from graphrisk.reporting.pdf import PdfError, html_to_pdf

__all__ = ["WrittenReport", "write_private", "write_report"]


@dataclass(frozen=True)
class WrittenReport:
    """Where a report went: its HTML, its PDF (``None`` when not asked for, or with
    ``pdf_note`` saying why it could not be made)."""

    html: Path
    pdf: Path | None
    pdf_note: str | None = None


def write_private(path: Path, text: str | bytes) -> Path:
    """Write ``text`` to ``path`` readable by its owner only, its folder created private,
    under a temporary name first (never a half-written report under the real name).

    Raises:
        GraphRiskError: the folder or file cannot be written (with the operating system's
            reason).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.partial")
        temporary.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        os.chmod(temporary, 0o600)
        temporary.replace(path)
    except OSError as exc:
        raise GraphRiskError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def write_report(html: str, out_dir: Path, stem: str, *, pdf: bool = True,
                 browser: str | None = None) -> WrittenReport:
    """Write ``out_dir/stem.html`` and, when ``pdf``, ``out_dir/stem.pdf`` (printed by
    ``browser``: ``GRAPHRISK_PDF_BROWSER``, else the first Chromium found).

    A PDF that cannot be made (no browser, the browser failed) leaves the HTML written and
    says why in ``pdf_note``; it is not an error, the HTML is the report.
    """
    html_file = write_private(Path(out_dir) / f"{stem}.html", html)
    if not pdf:
        return WrittenReport(html_file, None)
    try:
        return WrittenReport(html_file, html_to_pdf(html_file, html_file.with_suffix(".pdf"),
                                                    browser=browser))
    except PdfError as exc:
        return WrittenReport(html_file, None, str(exc))
