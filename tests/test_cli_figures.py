"""Every command that draws takes --format/--dpi/--font-size: the files come in the formats asked for, the font size
reaches the drawing, reports link a file that exists, and a bad value is one error before anything is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_cli as run


def _sizes(svg: Path) -> set[float]:
    return {float(v) for v in re.findall(r"font-size: ([0-9.]+)px", svg.read_text())}


def _linked(report: Path) -> list[Path]:
    return [report.parent / p for p in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report.read_text())]


def _suffixes(folder: Path) -> set[str]:
    return {p.suffix for p in folder.rglob("*") if p.is_file() and p.suffix in (".png", ".svg", ".pdf")}


def test_compare_formats_dpi_and_font_size(capsys, tmp_path):
    out = tmp_path / "c"
    code, _, err = run(capsys, "compare", "analognas", "--methods", "lissnas,random", "--seeds", "2", "--budget",
                       "300", "--format", "svg,pdf", "--dpi", "100", "--font-size", "10", "--out", out)
    assert code == 0, err
    assert _suffixes(out / "figures") == {".svg", ".pdf"}
    trace = out / "figures" / "analognas-cifar10" / "trace.svg"
    assert 10.0 in _sizes(trace) and 7.0 not in _sizes(trace)  # the base size is 10, not the default 7
    links = _linked(out / "report.md")
    assert links and all(p.suffix == ".svg" and p.exists() for p in links)


def test_search_and_sensitivity_formats(capsys, tmp_path):
    code, _, err = run(capsys, "search", "analognas", "--seeds", "2", "--budget", "60", "--format", "pdf",
                       "--out", tmp_path / "s")
    assert code == 0, err
    assert _suffixes(tmp_path / "s" / "figures") == {".pdf"}
    code, out, err = run(capsys, "sensitivity", "analognas", "--vary", "k=5,10", "--seeds", "2", "--budget", "200",
                         "--format", "svg", "--out", tmp_path / "h", "--json")
    assert code == 0, err
    assert (tmp_path / "h" / "figures" / "sensitivity.svg").exists()
    assert not list((tmp_path / "h").rglob("*.png"))


def test_locality_report_links_the_formats_written(capsys, tmp_path):
    out = tmp_path / "l"
    code, _, err = run(capsys, "locality", "analognas", "--max-distance", "2", "--permutations", "19", "--bootstrap",
                       "20", "--walks", "10", "--format", "svg", "--font-size", "9", "--out", out)
    assert code == 0, err
    assert _suffixes(out) == {".svg"}
    links = _linked(out / "report.md")
    assert links and all(p.suffix == ".svg" and p.exists() for p in links)
    assert all(9.0 in _sizes(p) for p in links)


@pytest.mark.parametrize("flags, needle", [(["--dpi", "10"], "dpi must be >= 50"),
                                           (["--format", "gif"], "gif"),
                                           (["--font-size", "100"], "font_size must be <= 20")])
def test_bad_figure_option_is_one_error(capsys, tmp_path, flags, needle):
    code, _, err = run(capsys, "compare", "analognas", "--methods", "random", "--param", "random.size=50",
                       "--seeds", "1", "--budget", "100", *flags, "--out", tmp_path / "c")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and needle in lines[0], err
    assert not (tmp_path / "c").exists()
