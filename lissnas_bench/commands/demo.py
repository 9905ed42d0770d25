"""``demo``: every shrinker on the embedded benchmarks, and the generated summary for the README and docs/demo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import (BudgetsOpt, DpiOpt, FiguresOpt, FontSizeOpt, ForceOpt, FormatOpt, JsonOpt, YesOpt,
                      figure_options, print_json, records)
from ._results import finish, run_with_progress

#: the demo: every method on the embedded benchmarks
DEMO_TARGETS = (
    ("analognas", "cifar10", None, "noisy_accuracy"),
    ("nasbench-graph", "cora", None, None),
    ("nasbench-graph", "citeseer", None, None),
    ("nasbench-graph", "pubmed", None, None),
)
#: the demo's defaults: enough seeds that Holm-corrected paired tests can find a difference (with 10 the smallest
#: two-sided Wilcoxon p is 2/1024, less than the correction needs), and two budgets for the quality-vs-spend figure
DEMO_SEEDS = 20
DEMO_BUDGETS = "300,1000"

DocsOpt = Annotated[Optional[Path], typer.Option(
    "--docs", metavar="FOLDER", help="Also write the generated summary (markdown) and the overview figure into this "
    "folder (`python3 tasks.py docs` uses the checkout's docs/demo).", show_default=False)]
ReadmeOpt = Annotated[Optional[Path], typer.Option(
    "--readme", metavar="FILE", help="Also replace the demo block of this README (between its demo-summary "
    "markers).", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = Path("results/demo"),
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds per dataset.")] = DEMO_SEEDS,
    budget: BudgetsOpt = DEMO_BUDGETS,
    workers: Annotated[int, typer.Option("--workers", "-j", help="Processes for cells and figures (results do not "
                                                                "depend on it).")] = 1,
    docs: DocsOpt = None, readme: ReadmeOpt = None, figures: FiguresOpt = True, force: ForceOpt = False,
    yes: YesOpt = False, fmt: FormatOpt = None, dpi: DpiOpt = None, font_size: FontSizeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The main job: every shrinker on analognas (CIFAR-10) and nasbench-graph (cora, citeseer, pubmed).

    NAS-Bench-Graph is shrunk on validation accuracy and judged on test accuracy; analognas has one accuracy, so
    its rows are flagged as the noise-free upper bound.  Writes only into --out (results/demo/report.md); --docs and
    --readme copy the generated summary elsewhere when asked.  `shrink --from results/demo ...` reruns one cell.
    """
    from ..experiments import ComparisonConfig, Target, prepare

    if docs is not None:  # checked before anything runs: nothing half-written
        check_docs(docs)
    if readme is not None:
        _readme_text(readme)
    cfg = ComparisonConfig(
        targets=tuple(Target(b, d, m, p) for b, d, m, p in DEMO_TARGETS), methods=None, seeds=seeds, budget=budget)
    opts = figure_options(fmt, dpi, font_size)
    plan = prepare(cfg)
    with _figure_processes(figures, workers):
        df = run_with_progress(plan, out, force=force, workers=workers, quiet=json_out, label="demo",
                               figures=figures, allow_large=yes, figure_options=opts)
    written = copy_to_docs(out, docs) if docs is not None else []
    if readme is not None:
        written.append(update_readme(readme, block(out)))
    if json_out:
        print_json({"records": records(df), "out": str(out), "report": str(out / "report.md"),
                    "written": [str(p) for p in written]})
        return
    finish(out)
    exp = plan.experiment
    typer.echo(f"rerun one cell exactly: lissnas-bench shrink --from {out} nasbench-graph -d cora --method random "
               f"--seed {exp.seeds[-1]}" + (f" --budget {exp.budgets[-1]}" if len(exp.budgets) > 1 else ""))
    for p in written:
        typer.echo(f"wrote {p}")


def _figure_processes(figures: bool, workers: int):
    """Figure processes started before the cells run, so that importing matplotlib overlaps the computation and
    each target is drawn while the next target's cells run; the files are the same as drawn in this process.
    As many as the cores the cells leave free (at least one): a figure process that has to share a core with the
    cells slows them by what it draws, and the last target's figures are drawn while the tables are built."""
    import contextlib
    import os

    if not figures:
        return contextlib.nullcontext()
    from ..report import figure_workers

    return figure_workers(max(1, min(workers, (os.cpu_count() or 1) - workers)))


def block(out: Path) -> str:
    """The demo's generated markdown for the README and docs/demo: protocol, headline table and findings."""
    import pandas as pd

    from .. import narrative

    man = json.loads((out / "manifest.json").read_text())
    cfg = man["config"]
    cmp_path = out / "comparisons.csv"
    comparisons = pd.read_csv(cmp_path) if cmp_path.exists() else None
    ref = man.get("statistics_reference")
    protocols = {(t["benchmark_id"], t["dataset"]): t.get("protocol_text", "") for t in man["targets"]}
    lines = [f"<!-- generated by `lissnas-bench demo` (configuration {man['config_hash']}); do not edit -->",
             f"{len(cfg['seeds'])} seeds per dataset, budgets {', '.join(f'{b:,}' for b in cfg['budgets'])} "
             f"queries (the most a method may spend), q = {cfg['q']:g}. What each shrinker saw and what judged it:",
             "", *narrative.protocol_lines(man), "",
             "Mean and 95 % bootstrap interval over seeds (⚠: spend more than 5 % away from "
             f"`{ref}`'s):", "", narrative.headline_table(pd.read_csv(out / "summary.csv"), ref).rstrip("\n"), "",
             "What the paired tests say (Wilcoxon over seeds, Holm-adjusted across the report, α = 0.05):", ""]
    lines += [f"- {s}" for s in narrative.findings(comparisons, protocols)]
    return "\n".join(lines) + "\n"


def _no_link(path: Path) -> None:
    from ..errors import InvalidConfig

    if path.is_symlink():
        raise InvalidConfig(f"{path} is a symbolic link: nothing is written through links; remove it first")


def check_docs(dest: Path) -> None:
    """One clear error, before the demo runs, when ``--docs`` cannot receive the summary."""
    from ..errors import InvalidConfig

    _no_link(dest)
    if dest.exists() and not dest.is_dir():
        raise InvalidConfig(f"--docs {dest} is a file, not a folder")
    for name in ("summary.md", "overview.png", "overview.svg"):
        _no_link(dest / name)


def copy_to_docs(out: Path, dest: Path) -> list[Path]:
    """Write the demo's generated summary (``summary.md``) and copy its overview figure into ``dest``."""
    from .._io import write_text_atomic

    check_docs(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = [dest / "summary.md"]
    _no_link(written[0])
    write_text_atomic(written[0], block(out))
    for ext in ("png", "svg"):
        src = out / "figures" / f"overview.{ext}"
        if src.exists():
            _no_link(dest / f"overview.{ext}")
            shutil.copyfile(src, dest / f"overview.{ext}")
            written.append(dest / f"overview.{ext}")
    return written


README_START = "<!-- demo-summary:start -->"
README_END = "<!-- demo-summary:end -->"


def _readme_text(readme: Path) -> tuple[str, int, int]:
    """The README's text and where its demo block starts and ends; one clear error when it has none."""
    from ..errors import DataFileError

    _no_link(readme)
    try:
        old = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"--readme {readme}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    i, j = old.find(README_START), old.find(README_END)
    if i < 0 or j < i:
        raise DataFileError(f"--readme {readme} has no {README_START} ... {README_END} block to replace")
    return old, i, j


def update_readme(readme: Path, text: str) -> Path:
    """Replace the text between ``README_START`` and ``README_END`` in ``readme`` with ``text``; the README's other
    text is never touched.  A README without both markers is one clear error."""
    from .._io import write_text_atomic

    old, i, j = _readme_text(readme)
    new = old[: i + len(README_START)] + "\n" + text.rstrip("\n") + "\n" + old[j:]
    if new != old:
        write_text_atomic(readme, new)
    return readme
