"""DDP: two CPU processes with gloo under torchrun train the supernet and share a search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")

DRIVER = textwrap.dedent(
    """
    import json, sys
    import torch
    torch.set_num_threads(1)
    from lissnas_bench.oneshot import load_config, train_supernet, search
    cfg = load_config(sys.argv[1])
    res = train_supernet(cfg)
    best = search(cfg)
    import torch.distributed as dist
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps({"train": {k: res[k] for k in ("step", "world_size", "loss")},
                                     "arch": best["arch"], "score": best["supernet_top1"]}))
    dist.destroy_process_group()
    """
)


@pytest.mark.slow
def test_ddp_gloo_two_processes(tmp_path):
    cfg = {
        "space": "nasbench-macro",
        "out_dir": str(tmp_path / "run"),
        "model": {"width_mult": 0.25, "head_channels": 32},
        "data": {"kind": "synthetic", "batch_size": 4, "synthetic_val_size": 16},
        "train": {"steps": 3, "log_every": 1, "checkpoint_every": 2, "lr": 0.1},
        "eval": {"calib_batches": 1},
        "search": {"population": 4, "generations": 2, "parents": 2, "mutations": 2, "crossovers": 2,
                   "max_mflops": None},
    }
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(driver), str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")][0]
    res = json.loads(line[len("RESULT "):])
    assert res["train"]["world_size"] == 2 and res["train"]["step"] == 3
    ck = torch.load(tmp_path / "run" / "supernet.pt", weights_only=True)
    assert ck["world_size"] == 2 and ck["step"] == 3

    # the distributed search (subnets shared out between ranks) equals a single-process search
    from lissnas_bench.oneshot import load_config, search

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = search(load_config(path), write=False)
    finally:
        torch.set_num_threads(threads)
    assert single["arch"] == res["arch"] and single["supernet_top1"] == pytest.approx(res["score"])
