"""Device check for the one-shot extra: supernet training throughput and a miniature train -> search -> evaluate
round, printing the figures.  Run through ``scripts/gpu_check.sh``; ``--cpu --tiny`` runs the same path on a CPU
in under a minute.

Figures: images/s of SPOS supernet training on synthetic 224-px data (bf16 autocast and fp32, channels-last),
peak GPU memory; then a supernet trained briefly on synthetic data with a planted signal, an evolutionary search
under the 600 M multiply-add limit, the best subnet and random subnets scored after BN recalibration, and a short
stand-alone retraining of the best architecture.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LUT = ROOT.parent / "shared" / "data" / "hardware" / "proxylessnas_pixel1_latency_lut.yaml"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", action="store_true", help="run on the CPU even if a GPU is present")
    ap.add_argument("--tiny", action="store_true", help="tiny network and data (width 0.25, 32 px): a smoke run")
    ap.add_argument("--batch", type=int, default=None, help="per-device batch for the throughput test")
    ap.add_argument("--steps", type=int, default=None, help="timed steps for the throughput test")
    ap.add_argument("--out", type=Path, default=None, help="working folder (default: a temporary one)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    ap.add_argument("--lut", type=Path, default=LUT if LUT.is_file() else None,
                    help="ProxylessNAS latency table for a latency estimate of the best architecture")
    args = ap.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        import torch
    except ImportError:
        print('PyTorch is not installed: pip install "lissnas-bench[oneshot]"', file=sys.stderr)
        return 2
    from lissnas_bench.oneshot import load_config
    from lissnas_bench.oneshot.api import evaluate_subnets, make_layout, retrain, search, train_supernet
    from lissnas_bench.spaces import get_space

    cuda = torch.cuda.is_available() and not args.cpu
    device = "cuda" if cuda else "cpu"
    tiny = args.tiny or not cuda
    if tiny and not args.tiny:
        print("no GPU: running the tiny configuration (pass --tiny to silence this)", file=sys.stderr)
    work = args.out or Path(tempfile.mkdtemp(prefix="lissnas_gpu_check_"))
    figures: dict = {"device": torch.cuda.get_device_name(0) if cuda else "cpu", "torch": torch.__version__,
                     "tiny": bool(tiny)}
    print(f"device: {figures['device']}  torch {torch.__version__}  work dir {work}", flush=True)
    t_all = time.perf_counter()

    scale = ({"width_mult": 0.25, "resolution": 32, "num_classes": 10, "head_channels": 64} if tiny
             else {"width_mult": 1.0, "resolution": 224, "num_classes": 1000})
    batch = args.batch or (8 if tiny else 256)
    steps = args.steps or (4 if tiny else 40)
    warm = 2 if tiny else 10

    # ---------------------------------------------------------------- 1. throughput
    for precision in ("bf16", "fp32") if cuda else ("fp32",):
        cfg = load_config({
            "space": "mobilenet", "out_dir": str(work / f"throughput_{precision}"), "model": scale,
            "data": {"kind": "synthetic", "batch_size": batch},
            "train": {"steps": warm + steps, "log_every": 10**9, "checkpoint_every": 10**9, "device": device,
                      "bf16": precision == "bf16", "channels_last": True, "lr": 0.1},
        })
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        train_supernet(cfg, resume=False, stop_after=warm)
        if cuda:
            torch.cuda.synchronize()
        cfg = cfg.replace(train=dataclasses.replace(cfg.train, log_every=warm + steps))  # one window: the timed steps
        res = train_supernet(cfg, resume=True)
        ips = res["history"][-1]["images_per_s"]
        figures[f"train_images_per_s_{precision}"] = ips
        if cuda:
            figures[f"peak_mem_gb_{precision}"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        print(f"supernet training ({precision}, batch {batch}, {scale['resolution']} px, channels-last): "
              f"{ips:,.0f} images/s" + (f", peak memory {figures[f'peak_mem_gb_{precision}']} GiB" if cuda else ""),
              flush=True)

    # ---------------------------------------------------------------- 2. miniature train -> search -> evaluate
    mini_scale = scale if tiny else {"width_mult": 1.0, "resolution": 224, "num_classes": 100}
    cfg = load_config({
        "space": "mobilenet", "out_dir": str(work / "mini"), "model": mini_scale,
        "data": {"kind": "synthetic", "batch_size": 8 if tiny else 128,
                 "synthetic_val_size": 32 if tiny else 1024, "eval_batch_size": 16 if tiny else 256},
        "train": {"steps": 6 if tiny else 300, "log_every": 3 if tiny else 100, "checkpoint_every": 10**9,
                  "device": device, "lr": 0.2, "warmup_steps": 0 if tiny else 20, "label_smoothing": 0.0},
        "eval": {"calib_batches": 2 if tiny else 4},
        "search": {"population": 6 if tiny else 16, "generations": 2 if tiny else 3, "parents": 3 if tiny else 5,
                   "mutations": 3 if tiny else 8, "crossovers": 3 if tiny else 8,
                   "max_mflops": 2.0 if tiny else 600.0},
        "retrain": {"steps": 4 if tiny else 100, "log_every": 2 if tiny else 50, "device": device, "lr": 0.2},
    })
    t = time.perf_counter()
    tr = train_supernet(cfg, resume=False)
    figures["mini_train_s"] = round(time.perf_counter() - t, 1)
    figures["mini_train_loss"] = [round(h["loss"], 3) for h in tr["history"]]
    print(f"miniature supernet: {tr['step']} steps in {figures['mini_train_s']} s, loss {figures['mini_train_loss']}",
          flush=True)
    t = time.perf_counter()
    best = search(cfg)
    figures["mini_search_s"] = round(time.perf_counter() - t, 1)
    figures["mini_search_evaluated"] = best["evaluated"]
    figures["best_arch"] = best["arch"]
    figures["best_supernet_top1"] = round(best["supernet_top1"], 2)
    figures["best_mflops"] = round(best["mflops"], 1)
    print(f"search: {best['evaluated']} subnets scored in {figures['mini_search_s']} s "
          f"({best['evaluated'] / max(figures['mini_search_s'], 1e-9):.2f} subnets/s); best {best['arch']} "
          f"supernet top-1 {best['supernet_top1']:.2f} %, {best['mflops']:.1f} MFLOPs "
          f"(limit {cfg.search.max_mflops})", flush=True)
    space = get_space("mobilenet")
    if args.lut is not None:
        lat = float(space.latency(space.from_strings([best["arch"]]), args.lut)[0])
        figures["best_latency_ms_pixel1"] = round(lat, 1)
        print(f"best architecture, Pixel-1 latency estimate (224 px, 1000 classes): {lat:.1f} ms", flush=True)
    import numpy as np

    rand = space.sample(4, np.random.default_rng(0))
    scores = evaluate_subnets(cfg, np.concatenate([space.from_strings([best["arch"]]), rand]))
    figures["eval_best_top1"] = round(float(scores[0]), 2)
    figures["eval_random_top1"] = [round(float(s), 2) for s in scores[1:]]
    layout = make_layout(cfg)
    print(f"evaluate: best {scores[0]:.2f} %, random subnets {figures['eval_random_top1']} "
          f"({[round(float(f) / 1e6, 1) for f in layout.flops(rand)]} MFLOPs)", flush=True)
    t = time.perf_counter()
    rt = retrain(cfg, best["arch"], resume=False)
    figures["retrain_s"] = round(time.perf_counter() - t, 1)
    figures["retrain_top1"] = round(rt["top1"], 2)
    print(f"retrain stand-alone: {rt['steps']} steps in {figures['retrain_s']} s, top-1 {rt['top1']:.2f} %",
          flush=True)

    figures["total_s"] = round(time.perf_counter() - t_all, 1)
    print(f"total {figures['total_s']} s")
    print("FIGURES " + json.dumps(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if args.out is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0



if __name__ == "__main__":
    sys.exit(main())
