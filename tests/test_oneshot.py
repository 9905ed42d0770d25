"""One-shot search: config, sampler, evolution, oracle (plain numpy) and the supernet itself (tiny, CPU, synthetic)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lissnas_bench.errors import (BudgetExhausted, DataFileError, InvalidArchitecture, InvalidConfig,
                                  LissnasBenchError, UnknownArchitecture)
from lissnas_bench.oneshot import (
    ArchSampler,
    SupernetOracle,
    evolution_search,
    table_kendall_tau,
    load_accuracy_table,
    load_config,
    make_constraint,
)
from lissnas_bench.spaces.shrunk import Explicit, Pockets, Product
from lissnas_bench.spaces import get_space
from lissnas_bench.spaces.mobilenet import mobilenet_layout

TINY = {
    "model": {"width_mult": 0.25, "resolution": 32, "num_classes": 10, "head_channels": 32},
    "data": {"kind": "synthetic", "batch_size": 4, "synthetic_val_size": 16},
    "train": {"steps": 2, "log_every": 1, "checkpoint_every": 1, "lr": 0.1, "seed": 3},
    "eval": {"calib_batches": 1},
    "search": {"population": 6, "generations": 2, "parents": 3, "mutations": 3, "crossovers": 3},
    "retrain": {"steps": 2, "log_every": 1},
}


def tiny_cfg(tmp_path, space="mobilenet", **over):
    d = json.loads(json.dumps(TINY))
    d["space"], d["out_dir"] = space, str(tmp_path / "run")
    for k, v in over.items():
        if isinstance(v, dict):
            d.setdefault(k, {}).update(v)
        else:
            d[k] = v
    return load_config(d)


@pytest.fixture
def mobilenet():
    return get_space("mobilenet")


# ------------------------------------------------------------------------------------------------ config


def test_config_validation(tmp_path):
    cfg = load_config(None)
    assert cfg.space == "mobilenet" and cfg.search.max_mflops == 600.0 and cfg.train.bf16
    for bad, msg in [
        ({"train": {"lr": "fast"}}, "train: lr must be a number, got 'fast'"),
        ({"train": {"lrr": 1}}, "train: unknown parameter 'lrr'"),
        ({"train": {"steps": -1}}, "train: steps must be >= 0"),
        ({"space": "nb201"}, "space must be one of"),
        ({"data": {"kind": "imagefolder"}}, "data: train_dir is required"),
        ({"data": {"kind": "cifar10"}}, "data: root is required"),
        ({"search": {"max_latency_ms": 80}}, "search: latency_lut is required"),
        ({"search": {"parents": 99}}, "search: parents"),
        ({"model": {"dropout": 1.5}}, "model: dropout"),
        ({"train": {"bf16": "maybe"}}, "train: bf16 must be a boolean"),
        ({"model": "big"}, "model: expected a mapping"),
    ]:
        with pytest.raises(LissnasBenchError, match=bad and msg.replace("(", r"\(")):
            load_config(bad)
    p = tmp_path / "c.yaml"
    p.write_text("space: nasbench-macro\ntrain:\n  steps: 7\nsearch:\n  max_mflops: null\n")
    cfg = load_config(p, ["train.lr=0.5", "out_dir=/tmp/x", "search.max_mparams=2"])
    assert (cfg.space, cfg.train.steps, cfg.train.lr, cfg.out_dir) == ("nasbench-macro", 7, 0.5, "/tmp/x")
    assert cfg.search.max_mflops is None and cfg.search.max_mparams == 2.0
    with pytest.raises(DataFileError):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("train: [1, 2\n")
    with pytest.raises(DataFileError, match="cannot be parsed"):
        load_config(tmp_path / "bad.yaml")
    with pytest.raises(InvalidConfig, match="KEY=VALUE"):
        load_config(None, ["train.steps"])


# ------------------------------------------------------------------------------------------------ sampler


def test_sampler_never_leaves_the_shrunk_space(mobilenet):
    rng = np.random.default_rng(0)
    centres = mobilenet.sample(3, rng)
    allowed = np.zeros((21, 7), bool)
    allowed[:, [1, 4]] = True
    regions = [
        Pockets(mobilenet, centres, radius=1),
        Product(mobilenet, allowed),
        Explicit(mobilenet, mobilenet.sample(5, rng)),
    ]
    for region in regions:
        s = ArchSampler(mobilenet, region)
        a = s.sample(2000, rng)
        assert np.all(region.contains(a)) and np.all(s.contains(a))
        paths = np.array([s.path(seed=1, step=k) for k in range(200)])
        assert np.all(region.contains(paths))
        assert s.path(1, 17) == s.path(1, 17)  # a pure function of (seed, step)
        assert len({p.tobytes() for p in paths}) > 1  # ... that still varies with the step
    full = ArchSampler(mobilenet)
    assert not np.all(regions[0].contains(full.sample(200, rng)))  # the full space is bigger


def test_sampler_rejects_a_region_that_lies(mobilenet):
    class Liar:
        space = mobilenet

        def sample(self, n, rng):
            return np.zeros((n, 21), np.int8)

        def contains(self, archs):
            return np.zeros(len(archs), bool)

    with pytest.raises(InvalidArchitecture, match="does not contain"):
        ArchSampler(mobilenet, Liar()).sample(3, np.random.default_rng(0))


def test_load_region_from_json(tmp_path, mobilenet):
    from lissnas_bench.oneshot import load_region

    p = Pockets(mobilenet, mobilenet.sample(2, np.random.default_rng(0)), radius=1)
    path = tmp_path / "shrunk.json"
    path.write_text(json.dumps(p.to_json()))
    r = load_region(mobilenet, str(path))
    assert r.size == p.size
    with pytest.raises(InvalidConfig, match="belongs to space"):
        load_region(get_space("nasbench-macro"), Explicit(mobilenet, [[0] * 21]))
    with pytest.raises(DataFileError):
        load_region(mobilenet, str(tmp_path / "nope.json"))


# ------------------------------------------------------------------------------------------------ evolution


def test_evolution_respects_flops_constraint_inside_shrunk_space(mobilenet):
    rng = np.random.default_rng(0)
    region = Pockets(mobilenet, mobilenet.sample(4, rng), radius=2)
    flops = mobilenet.flops(region.sample(500, rng))
    limit = float(np.quantile(flops, 0.3)) / 1e6
    constraint = make_constraint(mobilenet, max_mflops=limit)
    # the score prefers big networks, so the constraint binds
    res = evolution_search(ArchSampler(mobilenet, region), lambda a: mobilenet.flops(a) / 1e6, constraint,
                           population=20, generations=6, parents=5, mutations=10, crossovers=10, rng=rng)
    assert np.all(mobilenet.flops(res.archs) <= limit * 1e6)
    assert np.all(region.contains(res.archs))
    assert len({a.tobytes() for a in res.archs}) == len(res.archs)  # nothing scored twice
    assert res.best_score <= limit and res.best_score > np.quantile(flops, 0.2) / 1e6
    assert [h["generation"] for h in res.history] == list(range(6))
    assert all(b["best"] >= a["best"] for a, b in zip(res.history, res.history[1:]))


def test_evolution_latency_and_params_constraints(tmp_path, mobilenet):
    lut = {k: {"count": 1, "mean": 1.0, "var": 0.0} for k in mobilenet.layout.latency_keys()}
    # every non-skip block costs 1 ms: the latency limit caps the number of non-skip layers
    c = make_constraint(mobilenet, max_mflops=None, max_latency_ms=3 + 15.0, latency_lut=lut)
    res = evolution_search(ArchSampler(mobilenet), lambda a: (a != 6).sum(axis=1).astype(float), c,
                           population=10, generations=3, parents=3, mutations=5, crossovers=5,
                           rng=np.random.default_rng(1))
    assert np.all(mobilenet.latency(res.archs, lut) <= 18.0)
    c2 = make_constraint(mobilenet, max_mparams=4.0)
    assert np.all(mobilenet.params(mobilenet.sample(100, 0)[c2(mobilenet.sample(100, 0))]) <= 4e6)
    assert make_constraint(mobilenet) is None
    with pytest.raises(InvalidConfig, match="no architecture"):
        evolution_search(ArchSampler(mobilenet), lambda a: np.zeros(len(a)), make_constraint(mobilenet, 1.0),
                         population=4, generations=1, parents=2, mutations=1, crossovers=1,
                         rng=np.random.default_rng(0), max_rounds=2)
    with pytest.raises(DataFileError, match="lacks keys"):
        make_constraint(mobilenet, max_latency_ms=10, latency_lut={"Conv-x": 1.0})


# ------------------------------------------------------------------------------------------------ oracle


def test_oracle_counts_distinct_architectures():
    space = get_space("nasbench-macro")
    calls = []

    def score(a):
        calls.append(len(a))
        return a.sum(axis=1).astype(float)

    o = SupernetOracle(score, space, budget=3)
    a = space.from_strings(["22212220", "00000000"])
    assert o.query(a).tolist() == [13.0, 0.0] and o.queries == 2
    assert o.query(a[::-1]).tolist() == [0.0, 13.0] and o.queries == 2 and calls == [2]
    o.query(space.from_strings(["11111111", "22212220"]))
    assert o.queries == 3 and o.remaining == 0
    with pytest.raises(BudgetExhausted):
        o.query(space.from_strings(["12121212"]))
    assert o.queries == 3
    assert np.isinf(SupernetOracle(score, space).remaining)


def test_kendall_tau_helper(tmp_path):
    space = get_space("nasbench-macro")
    a = space.sample(30, np.random.default_rng(0), replace=False)
    truth = {s: float(i) for i, s in enumerate(space.to_strings(a))}
    assert table_kendall_tau(space, a, np.arange(30.0), truth).tau == pytest.approx(1.0)
    assert table_kendall_tau(space, a, -np.arange(30.0), truth).tau == pytest.approx(-1.0)
    p = tmp_path / "t.json"
    p.write_text(json.dumps({k: {"mean_acc": v} for k, v in truth.items()}))
    assert load_accuracy_table(p) == truth
    assert table_kendall_tau(space, a, np.arange(30.0), p).n == 30
    with pytest.raises(UnknownArchitecture, match="lacks 1"):
        table_kendall_tau(space, a, np.arange(30.0), dict(list(truth.items())[1:]))


# ================================================================================================ torch

@pytest.fixture
def torch1():
    """PyTorch with one intra-op thread (tiny networks; avoids OpenMP contention on small CI machines)."""
    torch = pytest.importorskip("torch")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(n)


def _state_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_two_training_steps(tmp_path, torch1):
    from lissnas_bench.oneshot import train_supernet
    from lissnas_bench.oneshot.model import build_network

    cfg = tiny_cfg(tmp_path)
    res = train_supernet(cfg)
    assert res["step"] == 2 and res["done"] and np.isfinite(res["loss"])
    ck = torch1.load(tmp_path / "run" / "supernet.pt", weights_only=True)
    assert ck["step"] == 2 and ck["meta"]["kind"] == "supernet"
    init = build_network(mobilenet_layout(0.25, 32, 10, 32), seed=3).state_dict()
    assert not torch1.equal(ck["model"]["stem.0.weight"], init["stem.0.weight"])
    rows = [json.loads(r) for r in (tmp_path / "run" / "supernet.log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]


def test_resume_reproduces_the_uninterrupted_run(tmp_path, torch1):
    from lissnas_bench.oneshot import train_supernet

    over = {"train": {"steps": 4, "checkpoint_every": 2, "log_every": 1, "seed": 5}}
    a = tiny_cfg(tmp_path / "a", **over)
    b = tiny_cfg(tmp_path / "b", **over)
    train_supernet(a)
    first = train_supernet(b, stop_after=2)  # "killed" after the step-2 checkpoint
    assert first["step"] == 2 and not first["done"]
    second = train_supernet(b)  # a new call resumes
    assert second["step"] == 4
    ca = torch1.load(tmp_path / "a" / "run" / "supernet.pt", weights_only=True)
    cb = torch1.load(tmp_path / "b" / "run" / "supernet.pt", weights_only=True)
    assert _state_equal(ca["model"], cb["model"])
    sa, sb = ca["optimizer"]["state"], cb["optimizer"]["state"]
    assert sa.keys() == sb.keys() and all(torch1.equal(sa[k]["momentum_buffer"], sb[k]["momentum_buffer"]) for k in sa)
    la = (tmp_path / "a" / "run" / "supernet.log.jsonl").read_text().splitlines()
    lb = (tmp_path / "b" / "run" / "supernet.log.jsonl").read_text().splitlines()
    assert [json.loads(r)["loss"] for r in la] == [json.loads(r)["loss"] for r in lb]
    # resuming with another network is refused
    with pytest.raises(InvalidConfig, match="was written for model"):
        train_supernet(tiny_cfg(tmp_path / "b", model={"head_channels": 16}, train={"steps": 6}))


def test_resume_refuses_changed_training_settings(tmp_path, torch1, capsys):
    from conftest import run_cli
    from lissnas_bench.oneshot import train_supernet

    over = {"train": {"steps": 3, "checkpoint_every": 1, "log_every": 1, "seed": 5, "lr": 0.1}}
    assert train_supernet(tiny_cfg(tmp_path, **over), stop_after=1)["step"] == 1
    for change, needle in [({"train": {"lr": 0.2}}, "lr 0.1 -> 0.2"), ({"train": {"seed": 6}}, "seed 5 -> 6"),
                           ({"train": {"steps": 9}}, "steps 3 -> 9"),
                           ({"data": {"batch_size": 8}}, "batch_size 4 -> 8")]:
        changed = json.loads(json.dumps(over))
        for k, v in change.items():
            changed.setdefault(k, {}).update(v)
        with pytest.raises(InvalidConfig, match=needle.replace("(", r"\(")) as e:
            train_supernet(tiny_cfg(tmp_path, **changed))
        assert "--force" in str(e.value)
    cfg = tiny_cfg(tmp_path, **over)
    (tmp_path / "c.json").write_text(json.dumps({**cfg.to_dict(), "train": {**cfg.to_dict()["train"], "lr": 0.3}}))
    code, _, err = run_cli(capsys, "oneshot", "train", tmp_path / "c.json")
    assert code == 2 and "lr 0.1 -> 0.3" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "oneshot", "train", tmp_path / "c.json", "--force")
    assert code == 0, err
    assert torch1.load(tmp_path / "run" / "supernet.pt", weights_only=True)["step"] == 3


def test_training_paths_stay_in_the_shrunk_space(tmp_path, torch1, mobilenet):
    from lissnas_bench.oneshot import train_supernet
    from lissnas_bench.oneshot.model import Supernet

    region = Explicit(mobilenet, mobilenet.sample(3, np.random.default_rng(7)))
    path = tmp_path / "shrunk.json"
    path.write_text(json.dumps(region.to_json()))
    seen = []
    orig = Supernet.forward

    def spy(self, x, arch=None):
        seen.append(tuple(arch))
        return orig(self, x, arch)

    Supernet.forward = spy
    try:
        train_supernet(tiny_cfg(tmp_path, shrunk=str(path), train={"steps": 6}))
    finally:
        Supernet.forward = orig
    assert len(seen) == 6 and np.all(region.contains(np.array(seen)))


def test_search_respects_the_constraint_end_to_end(tmp_path, torch1, mobilenet):
    import pandas as pd

    from lissnas_bench.oneshot import search, train_supernet

    layout = mobilenet_layout(0.25, 32, 10, 32)
    region = Pockets(mobilenet, mobilenet.sample(2, np.random.default_rng(0)), radius=2)
    shrunk = tmp_path / "shrunk.json"
    shrunk.write_text(json.dumps(region.to_json()))
    limit = float(np.median(layout.flops(region.sample(200, np.random.default_rng(1))))) / 1e6
    cfg = tiny_cfg(tmp_path, shrunk=str(shrunk), search={"max_mflops": limit})
    train_supernet(cfg)
    res = search(cfg)
    best = json.loads((tmp_path / "run" / "search" / "best_arch.json").read_text())
    assert best["arch"] == res["arch"] and best["mflops"] <= limit and best["space"] == "mobilenet"
    cands = pd.read_csv(tmp_path / "run" / "search" / "candidates.csv", dtype={"arch": str})
    a = mobilenet.from_strings(list(cands["arch"]))
    assert len(a) == res["evaluated"] > 0
    assert np.all(layout.flops(a) <= limit * 1e6) and np.all(region.contains(a))
    assert np.all((cands["score"] >= 0) & (cands["score"] <= 100))


def test_bn_recalibration_makes_scores_order_independent(tmp_path, torch1, mobilenet):
    from lissnas_bench.oneshot import evaluate_subnets, train_supernet

    cfg = tiny_cfg(tmp_path, eval={"calib_batches": 2})
    train_supernet(cfg)
    a = mobilenet.sample(3, np.random.default_rng(0))
    s1 = evaluate_subnets(cfg, a)
    s2 = evaluate_subnets(cfg, a[::-1])
    assert np.array_equal(s1, s2[::-1])
    assert np.array_equal(evaluate_subnets(cfg, mobilenet.to_strings(a[:1])), s1[:1])


def test_standalone_network_inherits_the_supernet_path(torch1, mobilenet):
    from lissnas_bench.oneshot.model import build_network, inherit_weights

    layout = mobilenet_layout(0.25, 32, 10, 32)
    sup = build_network(layout, seed=1).eval()
    arch = mobilenet.sample(1, np.random.default_rng(2))[0]
    net = inherit_weights(build_network(layout, arch, seed=9), sup).eval()
    x = torch1.randn(2, 3, 32, 32)
    with torch1.no_grad():
        assert torch1.equal(net(x), sup(x, tuple(arch)))
    assert sum(p.numel() for p in net.parameters()) == int(layout.params(arch[None])[0])
    with pytest.raises(ValueError, match="needs an architecture"):
        sup(x)


def test_retrain_from_best_arch(tmp_path, torch1, mobilenet):
    from lissnas_bench.oneshot import retrain

    arch = mobilenet.to_strings(mobilenet.sample(1, np.random.default_rng(0)))[0]
    res = retrain(tiny_cfg(tmp_path), arch)
    assert res["done"] and 0 <= res["top1"] <= 100 and res["arch"] == arch
    saved = json.loads((tmp_path / "run" / "retrain" / "result.json").read_text())
    assert saved["top1"] == res["top1"]
    (tmp_path / "best.json").write_text(json.dumps({"space": "nasbench-macro", "arch": "00000000"}))
    with pytest.raises(InvalidArchitecture, match="not 'mobilenet'"):
        retrain(tiny_cfg(tmp_path), str(tmp_path / "best.json"))


def test_macro_layout_supernet_and_kendall_tau(tmp_path, torch1):
    from lissnas_bench.oneshot import supernet_oracle, train_supernet
    from lissnas_bench.oneshot.api import kendall_tau_against

    space = get_space("nasbench-macro")
    cfg = tiny_cfg(tmp_path, space="nasbench-macro", model={"resolution": None, "width_mult": 0.25})
    train_supernet(cfg)
    oracle = supernet_oracle(cfg, budget=4)
    a = space.sample(4, np.random.default_rng(0), replace=False)
    v = oracle.query(a)
    assert v.shape == (4,) and np.all((v >= 0) & (v <= 100)) and oracle.queries == 4
    with pytest.raises(BudgetExhausted):
        oracle.query(space.from_strings(["22222222", "11111111"]) if "22222222" not in space.to_strings(a)
                     else space.from_strings(["12121212"]))
    table = {s: float(space.from_strings([s])[0].sum()) for s in space.to_strings(space.enumerate())}
    kt = kendall_tau_against(cfg, table, n=8)
    assert kt["n"] == len(kt["archs"]) and -1 <= kt["tau"] <= 1


def test_cli_commands(tmp_path, torch1):
    import typer

    from lissnas_bench.commands.oneshot import register

    app = typer.Typer()
    register(app)
    cfg = tmp_path / "c.yaml"
    d = json.loads(json.dumps(TINY))
    d["out_dir"] = str(tmp_path / "run")
    d["search"]["max_mflops"] = 5.0
    import yaml

    cfg.write_text(yaml.safe_dump(d))
    app(["oneshot", "train", str(cfg)], standalone_mode=False)
    app(["oneshot", "search", str(cfg), "--json"], standalone_mode=False)
    assert (tmp_path / "run" / "search" / "best_arch.json").is_file()
    app(["oneshot", "evaluate", str(cfg), "--sample", "2", "--arch", "0" * 21, "--csv", str(tmp_path / "e.csv")],
        standalone_mode=False)
    assert len((tmp_path / "e.csv").read_text().splitlines()) == 4
    app(["oneshot", "retrain", str(cfg), "--set", "retrain.steps=1"], standalone_mode=False)
    assert (tmp_path / "run" / "retrain" / "result.json").is_file()
    app(["oneshot", "evaluate", str(cfg), "--standalone"], standalone_mode=False)
    with pytest.raises(InvalidConfig, match="--sample"):
        app(["oneshot", "evaluate", str(cfg)], standalone_mode=False)


def test_example_configs_are_valid():
    from pathlib import Path

    paths = sorted((Path(__file__).resolve().parents[1] / "examples").glob("oneshot_*.yaml"))
    assert len(paths) >= 3
    for p in paths:
        cfg = load_config(p)
        assert cfg.space in ("mobilenet", "nasbench-macro")


def test_warmup_shrink_with_the_supernet_oracle_then_search_inside(tmp_path, torch1):
    """Where no benchmark exists: warm the supernet up on the full space, let LISSNAS query it, then train on
    inside the shrunk space (from the warm-up weights) and search there."""
    from lissnas_bench.oneshot import search, supernet_oracle, train_supernet
    from lissnas_bench.shrinkers import get_shrinker

    space = get_space("nasbench-macro")
    warm = tiny_cfg(tmp_path / "warm", space="nasbench-macro", model={"resolution": None, "width_mult": 0.25},
                    train={"steps": 2})
    train_supernet(warm)
    oracle = supernet_oracle(warm, budget=12)
    res = get_shrinker("lissnas", n=4, k=2, max_iters=2).shrink(oracle, np.random.default_rng(0))
    assert oracle.queries == res.queries <= 12
    shrunk = tmp_path / "shrunk.json"
    shrunk.write_text(json.dumps(res.shrunk.to_json()))
    inside = tiny_cfg(tmp_path / "inside", space="nasbench-macro", shrunk=str(shrunk),
                      model={"resolution": None, "width_mult": 0.25},
                      train={"steps": 2, "init_from": str(tmp_path / "warm" / "run" / "supernet.pt")},
                      search={"max_mflops": None})
    train_supernet(inside)
    best = search(inside)
    assert res.shrunk.contains(space.from_strings([best["arch"]]))[0]
