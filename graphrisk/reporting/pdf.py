"""HTML to PDF with a headless Chromium, where one is installed.

Why a browser: the reports are standalone HTML with print styles; a browser prints them
exactly as they read on screen, with no second layout engine to keep in step. Debian's
``chromium`` package (``/usr/bin/chromium``) is enough; without one the reports stay HTML
and the caller says how to get PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from graphrisk.errors import GraphRiskError

__all__ = ["PdfError", "find_browser", "html_to_pdf"]

#: Browsers tried in order when no browser is configured.
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfError(GraphRiskError):
    """The browser could not print the report (the message says what it printed)."""


def find_browser(chosen: str | None = None) -> str | None:
    """The headless browser to print with: ``chosen`` (``GRAPHRISK_PDF_BROWSER``: a name on
    the ``PATH`` or a path), else the first Chromium on the ``PATH``; ``None`` when there is
    none."""
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).is_file() else None)
    return next((found for name in _BROWSERS if (found := shutil.which(name))), None)


def html_to_pdf(html_file: Path, pdf_file: Path, *, browser: str | None = None,
                timeout_s: float = 120.0) -> Path:
    """Print ``html_file`` to ``pdf_file`` (A4, backgrounds on, no header or footer) with
    ``browser`` (the configured one, see :func:`find_browser`).

    Raises:
        PdfError: no browser, the browser failed, or it wrote no PDF.
    """
    program = find_browser(browser)
    if program is None:
        raise PdfError("no Chromium to print PDF with: install Debian's `chromium` package "
                       "or set GRAPHRISK_PDF_BROWSER to one; the HTML report is complete "
                       "without it")
    pdf_file = Path(pdf_file)
    with tempfile.TemporaryDirectory(prefix="graphrisk-pdf-") as profile:
        command = [program, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf_file}",
                   Path(html_file).resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfError(f"{program} could not print {html_file}: {exc}") from exc
    if done.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise PdfError(f"{program} did not print {html_file} (exit {done.returncode}): "
                       + " | ".join(tail))
    os.chmod(pdf_file, 0o600)
    return pdf_file
