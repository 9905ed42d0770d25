"""``oneshot train | search | evaluate | retrain``: one-shot (SPOS) search driven by a YAML/JSON config file.

Thin: every command calls a function of :mod:`lissnas_bench.oneshot`.  Under ``torchrun`` each rank runs the
command; only rank 0 logs at INFO and prints results.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

ConfigArg = Annotated[Path, typer.Argument(help="YAML or JSON config file (see docs/oneshot.md, examples/).")]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", help="Override a config field, e.g. --set train.steps=100 (repeatable)."),
]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Output folder (overrides out_dir).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Resume even if the checkpoint was trained with other settings (lr, seed, batch size, steps, ...).")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Run even when the estimated memory or work is over the limits "
                                      "(the device's memory, 4 GiB on a CPU; 200,000 subnets; oneshot/limits.py).")]
CkptOpt = Annotated[Optional[Path], typer.Option("--checkpoint", help="Supernet checkpoint (default <out_dir>/supernet.pt).")]


def make_app() -> typer.Typer:
    sub = typer.Typer(
        name="oneshot",
        help="One-shot (SPOS) supernet training and evolutionary search in a MobileNet space, inside a shrunk space.",
        no_args_is_help=True,
        rich_markup_mode=None,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    sub.command("train", short_help="Train the supernet inside the (shrunk) space; resumable.")(train)
    sub.command("search", short_help="Evolutionary search under a FLOPs/latency/params limit.")(search)
    sub.command("evaluate", short_help="Score subnets of the supernet (optionally Kendall-Tau).")(evaluate)
    sub.command("retrain", short_help="Train one architecture stand-alone, report its top-1.")(retrain)
    return sub


def register(app: typer.Typer) -> None:
    app.add_typer(make_app(), name="oneshot")


# ------------------------------------------------------------------------------------------------ helpers


def _rank() -> int:
    return int(os.environ.get("RANK", "0"))


def _setup_logging() -> None:
    logger = logging.getLogger("lissnas_bench")
    if logger.handlers:
        return
    if _rank() == 0:
        try:
            from rich.console import Console
            from rich.logging import RichHandler

            # stderr: stdout carries --json output and tables
            handler: logging.Handler = RichHandler(console=Console(stderr=True), show_path=False,
                                                   log_time_format="[%X]")
        except ImportError:  # pragma: no cover - rich is a core dependency
            handler = logging.StreamHandler(sys.stderr)
        logger.setLevel(logging.INFO)
    else:
        handler = logging.StreamHandler(sys.stderr)
        logger.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False


def _config(config: Path, sets: list[str] | None, out: Path | None, **extra):
    from ..oneshot.config import load_config

    overrides = list(sets or [])
    if out is not None:
        overrides.append(f"out_dir={json.dumps(str(out))}")
    for k, v in extra.items():
        if v is not None:
            overrides.append(f"{k}={json.dumps(str(v))}")
    _setup_logging()
    return load_config(config, overrides)


def _emit(obj: dict, json_out: bool, title: str) -> None:
    if _rank() != 0:
        return
    from .._params import jsonable

    obj = jsonable(obj)
    if json_out:
        sys.stdout.write(json.dumps(obj, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_header=False)
    t.add_column("field", style="bold")
    t.add_column("value", overflow="fold")
    for k, v in obj.items():
        if isinstance(v, (list, dict)):
            continue
        t.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    Console().print(t)


# ------------------------------------------------------------------------------------------------ commands


def train(
    config: ConfigArg,
    sets: SetOpt = None,
    out: OutOpt = None,
    shrunk: Annotated[Optional[Path], typer.Option("--shrunk", help="Shrunk-space JSON (from `shrink`); overrides the config.")] = None,
    no_resume: Annotated[bool, typer.Option("--no-resume", help="Start over even if a checkpoint exists.")] = False,
    force: ForceOpt = False,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Train the supernet with single-path uniform sampling inside the (shrunk) space; resumable."""
    cfg = _config(config, sets, out, shrunk=shrunk)
    from ..oneshot.api import train_supernet

    res = train_supernet(cfg, resume=not no_resume, force=force, allow_large=yes)
    res.pop("history", None)
    _emit(res, json_out, "supernet training")


def search(
    config: ConfigArg,
    sets: SetOpt = None,
    out: OutOpt = None,
    checkpoint: CkptOpt = None,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Evolutionary search under the FLOPs / latency / params constraint; writes search/best_arch.json."""
    cfg = _config(config, sets, out)
    from ..oneshot.api import search as run_search

    res = run_search(cfg, checkpoint, allow_large=yes)
    _emit(res, json_out, "best architecture")


def evaluate(
    config: ConfigArg,
    arch: Annotated[Optional[list[str]], typer.Option("--arch", "-a", help="Architecture string (repeatable).")] = None,
    archs_file: Annotated[Optional[Path], typer.Option("--archs-file", help="Text file, one architecture per line.")] = None,
    sample: Annotated[int, typer.Option("--sample", help="Also score N architectures sampled from the (shrunk) space.")] = 0,
    table: Annotated[Optional[Path], typer.Option("--table", help="True accuracies (e.g. NAS-Bench-Macro JSON) for Kendall-Tau.")] = None,
    metric: Annotated[str, typer.Option("--metric", help="Field of --table holding the accuracy.")] = "mean_acc",
    standalone: Annotated[bool, typer.Option("--standalone", help="Evaluate the retrained network instead (retrain/model.pt or --checkpoint).")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of --sample.")] = 0,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Write arch, score, MFLOPs, Mparams here.")] = None,
    sets: SetOpt = None,
    out: OutOpt = None,
    checkpoint: CkptOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Score subnets of the supernet (BN recalibrated), optionally with Kendall-Tau against true accuracies."""
    cfg = _config(config, sets, out)
    from ..errors import InvalidConfig
    from ..oneshot import api

    if standalone:
        _emit(api.evaluate_standalone(cfg, checkpoint), json_out, "stand-alone evaluation")
        return
    if sample < 0:
        raise InvalidConfig(f"--sample must be >= 0, got {sample}")
    model, layout, space, ctx = api.open_supernet(cfg, checkpoint)
    archs = _archs_to_score(space, cfg, arch, archs_file, sample, seed)
    scores = api.subnet_evaluator(cfg, model, layout, ctx)(archs)
    rows = {"arch": space.to_strings(archs), "top1": scores.tolist(),
            "mflops": (layout.flops(archs) / 1e6).tolist(), "mparams": (layout.params(archs) / 1e6).tolist()}
    result: dict = {"evaluated": len(archs), "best_arch": rows["arch"][int(scores.argmax())],
                    "best_top1": float(scores.max()), "mean_top1": float(scores.mean())}
    if table is not None:
        from ..oneshot.oracle import table_kendall_tau, load_accuracy_table

        kt = table_kendall_tau(space, archs, scores, load_accuracy_table(table, metric))
        result.update({"kendall_tau": kt.tau, "kendall_pvalue": kt.pvalue, "kendall_n": kt.n})
    if csv is not None and _rank() == 0:
        import pandas as pd

        from .._io import write_text_atomic

        csv.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(csv, pd.DataFrame(rows).to_csv(index=False))
        result["csv"] = str(csv)
    if json_out:
        result["architectures"] = [dict(zip(rows, v)) for v in zip(*rows.values())]
    _emit(result, json_out, "subnet evaluation")


def _archs_to_score(space, cfg, arch, archs_file, sample: int, seed: int):
    """The distinct architectures named by --arch / --archs-file plus --sample draws from the (shrunk) space."""
    import numpy as np

    from ..errors import DataFileError, InvalidConfig
    from ..oneshot.sampler import ArchSampler, load_region

    strings = list(arch or [])
    if archs_file is not None:
        if not archs_file.is_file():
            raise DataFileError(f"architecture file {str(archs_file)!r} does not exist")
        strings += [ln.strip() for ln in archs_file.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    parts = [space.from_strings(strings)] if strings else []
    if sample:
        parts.append(ArchSampler(space, load_region(space, cfg.shrunk)).sample(sample, np.random.default_rng(seed)))
    if not parts:
        raise InvalidConfig("name architectures with --arch / --archs-file, or --sample N")
    return np.unique(np.concatenate(parts), axis=0)


def retrain(
    config: ConfigArg,
    arch: Annotated[Optional[str], typer.Option("--arch", "-a", help="Architecture string or best_arch.json (default <out_dir>/search/best_arch.json).")] = None,
    inherit: Annotated[bool, typer.Option("--inherit", help="Start from the supernet's weights instead of scratch.")] = False,
    no_resume: Annotated[bool, typer.Option("--no-resume", help="Start over even if a checkpoint exists.")] = False,
    force: ForceOpt = False,
    sets: SetOpt = None,
    out: OutOpt = None,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Train one architecture stand-alone (the `retrain` section) and report its validation top-1."""
    cfg = _config(config, sets, out)
    from ..oneshot.api import retrain as run_retrain

    target = arch if arch is not None else str(Path(cfg.out_dir) / "search" / "best_arch.json")
    _emit(run_retrain(cfg, target, resume=not no_resume, inherit=inherit, force=force, allow_large=yes), json_out,
          "stand-alone retraining")
