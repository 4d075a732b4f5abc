"""Build the two example evaluation packages used by the health-evaluation notebooks (E1-E3).

Run with the kernel environment's python from anywhere:

    .venv-kernel/bin/python catalogue/models/build_examples.py

It writes, next to this file:

- ``digits-robust/``  - an MLP trained with FGSM adversarial training and weight decay;
- ``digits-fragile/`` - the same MLP without those defences, behind a per-pixel standardisation layer
  whose near-constant border pixels amplify tiny input changes (a common real-world mistake).

Each package holds exactly ``model.onnx``, ``metadata.json`` and ``eval.npz`` (the format is defined in
``catalogue/README.md``). Everything is deterministic: scikit-learn's bundled ``load_digits`` (no download),
a fixed split, fixed seeds, single-threaded deterministic torch kernels. Re-running the script reproduces
the same weights and the same predictions.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional as F

HERE = Path(__file__).resolve().parent
SEED = 20260
N_EVAL = 400  # held-out samples shipped in eval.npz
OPSET = 17
EPOCHS = 60
BATCH = 64
FGSM_EPS = 0.03  # the methodology-v1 attack strength, used here only for the build-time report


def set_determinism(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def load_data():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # 8x8 grey levels 0..16 -> [0, 1]
    y = digits.target.astype(np.int64)
    x_train, x_eval, y_train, y_eval = train_test_split(
        x, y, test_size=N_EVAL, random_state=SEED, stratify=y
    )
    return x_train, x_eval, y_train, y_eval


class Standardise(nn.Module):
    """(x - mean) / std per pixel, with std of exactly-constant pixels set to 1 (as scikit-learn does).

    Pixels that are *almost* constant in the training set keep a tiny std, so a change of 0.03 in such a
    pixel becomes a change of many standard deviations inside the network. This is what makes the
    fragile model fragile; nothing else is done to it.
    """

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        super().__init__()
        std = np.where(std == 0.0, 1.0, std)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

    def forward(self, x):
        return (x - self.mean) / self.std


def mlp(hidden: int = 64) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, 10),
    )


def train(model: nn.Module, x, y, *, weight_decay: float, adv_eps_max: float, seed: int) -> nn.Module:
    """Adam, mini-batches of 64. With adv_eps_max > 0 every batch is trained half on clean inputs and
    half on FGSM examples whose epsilon is drawn per sample from U(0, adv_eps_max) (clipped to [0, 1])."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(xt), generator=gen)
        for start in range(0, len(xt), BATCH):
            idx = order[start:start + BATCH]
            xb, yb = xt[idx], yt[idx]
            if adv_eps_max > 0:
                eps = adv_eps_max * torch.rand(len(xb), 1, generator=gen)
                probe = xb.clone().requires_grad_(True)
                (grad,) = torch.autograd.grad(F.cross_entropy(model(probe), yb), probe)
                x_adv = (xb + eps * grad.sign()).clamp(0.0, 1.0).detach()
                loss = 0.5 * F.cross_entropy(model(xb), yb) + 0.5 * F.cross_entropy(model(x_adv), yb)
            else:
                loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def fgsm_report(model: nn.Module, x, y, eps: float) -> tuple[float, float]:
    """Accuracy and FGSM success rate (share of correct samples that flip), computed in torch."""
    xt = torch.from_numpy(x).requires_grad_(True)
    yt = torch.from_numpy(y)
    logits = model(xt)
    (grad,) = torch.autograd.grad(F.cross_entropy(logits, yt), xt)
    correct = logits.argmax(1) == yt
    with torch.no_grad():
        adv_pred = model((xt + eps * grad.sign()).clamp(0.0, 1.0)).argmax(1)
    flipped = (adv_pred != yt) & correct
    return correct.float().mean().item(), flipped.sum().item() / max(1, correct.sum().item())


def export_onnx(model: nn.Module, path: Path) -> None:
    # The TorchScript-based exporter writes opset 17 directly (the dynamo exporter starts from opset 18
    # and down-converts). Weights are embedded: no external-data files.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model, (torch.zeros(1, 64),), str(path),
            input_names=["pixels"], output_names=["logits"],
            dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET, dynamo=False, external_data=False,
        )
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    opset = max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    assert opset <= OPSET, f"exported opset {opset} > {OPSET}"


def write_package(name: str, model: nn.Module, x_eval, y_eval) -> dict:
    out = HERE / name
    out.mkdir(exist_ok=True)
    for stale in out.iterdir():  # a package holds exactly three files
        if stale.name not in {"model.onnx", "metadata.json", "eval.npz"}:
            raise SystemExit(f"unexpected file in {out}: {stale.name}; remove it first")
    export_onnx(model, out / "model.onnx")
    metadata = {
        "name": name,
        "version": "1.0.0",
        "input_shape": [64],
        "value_range": [0.0, 1.0],
        "class_names": [str(d) for d in range(10)],
        "feature_names": [f"pixel_r{r}_c{c}" for r in range(8) for c in range(8)],
    }
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    # np.savez (not savez_compressed) for byte-stable output; both arrays are plain numeric dtypes.
    with open(out / "eval.npz", "wb") as fh:
        np.savez(fh, x=x_eval.astype(np.float32), y=y_eval.astype(np.int64))

    # Cross-check: onnxruntime must reproduce the torch logits.
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    onnx_logits = sess.run(None, {"pixels": x_eval})[0]
    with torch.no_grad():
        torch_logits = model(torch.from_numpy(x_eval)).numpy()
    max_diff = float(np.abs(onnx_logits - torch_logits).max())
    assert max_diff < 1e-4, f"ONNX and torch disagree by {max_diff}"
    acc, fgsm = fgsm_report(model, x_eval, y_eval, FGSM_EPS)
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    assert sum(sizes.values()) < 1_000_000, sizes
    return {"package": name, "accuracy": round(acc, 4), "fgsm_success_eps0.03": round(fgsm, 4),
            "onnx_vs_torch_max_abs_diff": max_diff, "bytes": sizes}


def main() -> None:
    x_train, x_eval, y_train, y_eval = load_data()

    set_determinism(SEED)
    robust = train(mlp(), x_train, y_train, weight_decay=1e-4, adv_eps_max=0.15, seed=SEED)
    print(write_package("digits-robust", robust, x_eval, y_eval))

    set_determinism(SEED)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    fragile = train(nn.Sequential(Standardise(mean, std), mlp()), x_train, y_train,
                    weight_decay=0.0, adv_eps_max=0.0, seed=SEED)
    print(write_package("digits-fragile", fragile, x_eval, y_eval))


if __name__ == "__main__":
    main()
