"""Data sources: ImageFolder trees (Pillow), CIFAR-10 python batches, synthetic tensors; batches are a pure
function of (seed, step, rank)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from lissnas_bench.errors import DataFileError, InvalidConfig
from lissnas_bench.oneshot import load_config

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _image_tree(root, classes=3, per_class=5, size=(40, 30)):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for c in range(classes):
        d = root / f"class_{c}"
        d.mkdir(parents=True)
        for i in range(per_class):
            arr = rng.integers(0, 255, size=(size[1] + i, size[0], 3), dtype=np.uint8)
            Image.fromarray(arr).save(d / f"img_{i}.png")
    (root / "class_0" / "notes.txt").write_text("not an image")
    return root


def _cfg(**data):
    return load_config({
        "space": "mobilenet",
        "model": {"width_mult": 0.25, "resolution": 32, "num_classes": 3, "head_channels": 32},
        "data": {"batch_size": 4, "workers": 0, **data},
    })


def test_imagefolder_batches_are_deterministic(tmp_path):
    from lissnas_bench.oneshot.api import make_layout
    from lissnas_bench.oneshot.data import ImageFolderSource, make_source

    root = _image_tree(tmp_path / "train")
    cfg = _cfg(kind="imagefolder", train_dir=str(root), holdout=3)
    layout = make_layout(cfg)
    src = make_source(cfg, layout, seed=0)
    assert isinstance(src, ImageFolderSource) and src.num_classes == 3 and src.val_size() == 3
    it = src.train_batches(0)
    batches = [next(it) for _ in range(4)]  # 12 training images, batch 4: the 4th step starts epoch 2
    for x, y in batches:
        assert x.shape == (4, 3, 32, 32) and x.dtype == torch.uint8 and y.dtype == torch.int64
    # resuming at step 2 gives the same batches as the uninterrupted stream; the worker count does not matter
    again = src.train_batches(2)
    for k in (2, 3):
        x, y = next(again)
        assert torch.equal(x, batches[k][0]) and torch.equal(y, batches[k][1])
    src2 = ImageFolderSource(root, None, 3, 32, 4, 4, workers=2, seed=0)
    x, y = next(src2.train_batches(1))
    assert torch.equal(x, batches[1][0]) and torch.equal(y, batches[1][1])
    # two ranks split the global batch
    r0, r1 = next(src.train_batches(0, 0, 2)), next(src.train_batches(0, 1, 2))
    assert not torch.equal(r0[0], r1[0])
    val = list(src.val_batches())
    assert sum(len(y) for _, y in val) == 3
    calib = list(src.calib_batches(2))
    assert len(calib) == 2 and torch.equal(calib[0][0], list(src.calib_batches(1))[0][0])
    xf = src.prepare(x, torch.device("cpu"), channels_last=True)
    assert xf.dtype == torch.float32 and xf.is_contiguous(memory_format=torch.channels_last)
    assert abs(float(xf.mean())) < 2


def test_imagefolder_errors(tmp_path):
    from lissnas_bench.oneshot.api import make_layout
    from lissnas_bench.oneshot.data import make_source

    root = _image_tree(tmp_path / "train", classes=2)
    with pytest.raises(InvalidConfig, match="num_classes is 3"):
        make_source(_cfg(kind="imagefolder", train_dir=str(root), holdout=2), make_layout(_cfg()), seed=0)
    with pytest.raises(DataFileError, match="does not exist"):
        cfg = _cfg(kind="imagefolder", train_dir=str(tmp_path / "nope"), holdout=2)
        make_source(cfg, make_layout(cfg), seed=0)
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(DataFileError, match="holds no images"):
        cfg = _cfg(kind="imagefolder", train_dir=str(tmp_path / "empty"), holdout=2)
        make_source(cfg, make_layout(cfg), seed=0)


def test_train_on_an_image_folder(tmp_path):
    from lissnas_bench.oneshot import train_supernet

    root = _image_tree(tmp_path / "train")
    val = _image_tree(tmp_path / "val", per_class=2)
    cfg = load_config({
        "space": "mobilenet", "out_dir": str(tmp_path / "run"),
        "model": {"width_mult": 0.25, "resolution": 32, "num_classes": 3, "head_channels": 32},
        "data": {"kind": "imagefolder", "train_dir": str(root), "val_dir": str(val), "batch_size": 4, "workers": 0},
        "train": {"steps": 2, "log_every": 1},
    })
    assert train_supernet(cfg)["step"] == 2


def test_random_resized_crop_boxes_are_inside_the_image():
    from lissnas_bench.oneshot.data import _random_resized_crop

    rng = np.random.default_rng(0)
    for w, h in [(500, 375), (32, 32), (1000, 100), (10, 300)]:
        for _ in range(50):
            left, top, right, bottom = _random_resized_crop(w, h, rng)
            assert 0 <= left < right <= w and 0 <= top < bottom <= h


def _fake_cifar(root, n=20):
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 255, size=(n, 3072), dtype=np.uint8), b"labels": list(rng.integers(0, 10, n))}
        batch[b"labels"] = [int(v) for v in batch[b"labels"]]
        with open(d / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
    return root


def test_cifar10_source(tmp_path):
    from lissnas_bench.oneshot import train_supernet
    from lissnas_bench.oneshot.api import make_layout
    from lissnas_bench.oneshot.data import Cifar10Source, make_source

    root = _fake_cifar(tmp_path)
    cfg = load_config({"space": "nasbench-macro", "out_dir": str(tmp_path / "run"),
                       "model": {"width_mult": 0.25, "head_channels": 32},
                       "data": {"kind": "cifar10", "root": str(root), "batch_size": 8},
                       "train": {"steps": 2, "log_every": 1}})
    src = make_source(cfg, make_layout(cfg), seed=0)
    assert isinstance(src, Cifar10Source) and src.val_size() == 20 and len(src.x) == 100
    x, y = next(src.train_batches(3))
    x2, y2 = next(src.train_batches(3))
    assert x.shape == (8, 3, 32, 32) and torch.equal(x, x2) and torch.equal(y, y2)
    assert train_supernet(cfg)["step"] == 2
    # anything but numpy arrays in the pickle is refused
    bad = root / "cifar-10-batches-py" / "data_batch_1"
    bad.write_bytes(pickle.dumps({b"data": __import__("os").getcwd, b"labels": []}))
    with pytest.raises(DataFileError, match="refusing"):
        Cifar10Source(root, 0, 8, 8, 0)
    with pytest.raises(InvalidConfig, match="resolution must be 32"):
        c2 = load_config({**json.loads(json.dumps(cfg.to_dict())), "model": {"resolution": 64}})
        make_source(c2, make_layout(c2), seed=0)


def test_synthetic_source_has_learnable_signal():
    from lissnas_bench.oneshot.data import SyntheticSource

    s = SyntheticSource(4, 16, 64, 64, seed=0)
    x, y = next(s.train_batches(0))
    # the planted template makes the per-class mean images differ
    means = torch.stack([x[y == c].mean(0) for c in range(4) if (y == c).any()])
    assert float(means.std(0).mean()) > 0.3
    a, b = list(s.val_batches()), list(s.val_batches())
    assert all(torch.equal(p[0], q[0]) for p, q in zip(a, b)) and sum(len(q[1]) for q in a) == 512
