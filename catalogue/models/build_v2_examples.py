"""Build the example packages that methodology v2 adds: a small transformer and the course's notebook-09 CNN.

Run with the kernel environment's python from anywhere:

    .venv-kernel/bin/python catalogue/models/build_v2_examples.py

It writes, next to this file:

- ``digits-transformer/`` - a two-block vision transformer (2x2 patches -> 16 tokens, width 32, 4 heads,
  pre-norm LayerNorm, GELU) trained with FGSM adversarial training. Its ONNX graph uses the operators v1's
  hand-written interpreter refused (LayerNormalization, Erf, Softmax over attention scores, Split/Slice).
- ``digits-cnn-course09/`` - the CNN of course notebook 09 (``catalogue/course/09-onnx-runtime-optimisation``):
  two conv/BatchNorm/ReLU blocks, max-pool, Linear, GELU, LayerNorm, Dropout, Linear; trained plainly as
  the course does. Input ``[1, 8, 8]``.

Each package holds exactly ``model.onnx``, ``metadata.json`` and ``eval.npz`` (format: ``catalogue/README.md``)
and uses the same 400 held-out digits as ``build_examples.py``. Seeds are fixed and torch runs single-threaded
with deterministic kernels, so a re-run reproduces the same files on the same software stack.
"""

from __future__ import annotations

import json
import math
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
SEED = 20260  # the same split as build_examples.py: the same 400 evaluation images
N_EVAL = 400
OPSET = 17
BATCH = 64


def set_determinism(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def load_data():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=N_EVAL, random_state=SEED, stratify=y)


class Block(nn.Module):
    """Pre-norm transformer encoder block with hand-written attention (exports to plain ONNX operators)."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, x):
        n, t, w = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(n, t, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        attention = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(w // self.heads), dim=-1)
        x = x + self.proj((attention @ v).transpose(1, 2).reshape(n, t, w))
        return x + self.mlp(self.norm2(x))


class DigitsTransformer(nn.Module):
    """Input [N, 64] (an 8x8 image, row-major) -> 16 tokens of 2x2 pixels -> 2 blocks -> mean-pool -> 10 logits."""

    def __init__(self, width: int = 32, heads: int = 4, depth: int = 2):
        super().__init__()
        self.embed = nn.Linear(4, width)
        self.position = nn.Parameter(torch.zeros(1, 16, width))
        self.blocks = nn.Sequential(*[Block(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 10)

    def forward(self, pixels):
        n = pixels.shape[0]
        patches = pixels.reshape(n, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(n, 16, 4)
        tokens = self.blocks(self.embed(patches) + self.position)
        return self.head(self.norm(tokens).mean(dim=1))


class DigitsCNN(nn.Module):
    """The architecture of course notebook 09, unchanged (input [N, 1, 8, 8])."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.GELU(), nn.LayerNorm(64), nn.Dropout(0.1),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.head(self.features(x))


def train(model: nn.Module, x, y, *, epochs: int, lr: float, adv_eps_max: float, seed: int) -> nn.Module:
    """Adam, mini-batches of 64; with adv_eps_max > 0 half of each batch's loss is on FGSM examples whose
    epsilon is drawn per sample from U(0, adv_eps_max) (as build_examples.py trains digits-robust)."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=gen)
        for start in range(0, len(xt), BATCH):
            idx = order[start:start + BATCH]
            xb, yb = xt[idx], yt[idx]
            if adv_eps_max > 0:
                eps = adv_eps_max * torch.rand(len(xb), *([1] * (xb.dim() - 1)), generator=gen)
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
    xt = torch.from_numpy(x).requires_grad_(True)
    yt = torch.from_numpy(y)
    logits = model(xt)
    (grad,) = torch.autograd.grad(F.cross_entropy(logits, yt), xt)
    correct = logits.argmax(1) == yt
    with torch.no_grad():
        adv_pred = model((xt + eps * grad.sign()).clamp(0.0, 1.0)).argmax(1)
    flipped = (adv_pred != yt) & correct
    return correct.float().mean().item(), flipped.sum().item() / max(1, correct.sum().item())


def write_package(name: str, model: nn.Module, x_eval, y_eval, input_shape: list[int], input_name: str) -> dict:
    out = HERE / name
    out.mkdir(exist_ok=True)
    for stale in out.iterdir():
        if stale.name not in {"model.onnx", "metadata.json", "eval.npz"}:
            raise SystemExit(f"unexpected file in {out}: {stale.name}; remove it first")
    x_eval = x_eval.reshape(len(x_eval), *input_shape).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model, (torch.from_numpy(x_eval[:2]),), str(out / "model.onnx"),
            input_names=[input_name], output_names=["logits"],
            dynamic_axes={input_name: {0: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET, dynamo=False, external_data=False,
        )
    proto = onnx.load(str(out / "model.onnx"))
    onnx.checker.check_model(proto, full_check=True)
    metadata = {
        "name": name,
        "version": "1.0.0",
        "input_shape": input_shape,
        "value_range": [0.0, 1.0],
        "class_names": [str(d) for d in range(10)],
        "feature_names": [f"pixel_r{r}_c{c}" for r in range(8) for c in range(8)],
    }
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    with open(out / "eval.npz", "wb") as fh:
        np.savez(fh, x=x_eval, y=y_eval.astype(np.int64))
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    onnx_logits = sess.run(None, {input_name: x_eval})[0]
    with torch.no_grad():
        torch_logits = model(torch.from_numpy(x_eval)).numpy()
    max_diff = float(np.abs(onnx_logits - torch_logits).max())
    assert max_diff < 1e-4, f"ONNX and torch disagree by {max_diff}"
    acc, fgsm = fgsm_report(model, x_eval, y_eval, 0.03)
    ops = sorted({n.op_type for n in proto.graph.node})
    return {"package": name, "accuracy": round(acc, 4), "fgsm_success_eps0.03": round(fgsm, 4),
            "onnx_vs_torch_max_abs_diff": max_diff, "operators": ops,
            "bytes": {p.name: p.stat().st_size for p in sorted(out.iterdir())}}


def main() -> None:
    x_train, x_eval, y_train, y_eval = load_data()

    set_determinism(SEED)
    transformer = train(DigitsTransformer(), x_train, y_train, epochs=40, lr=3e-3, adv_eps_max=0.15, seed=SEED)
    print(write_package("digits-transformer", transformer, x_eval, y_eval, [64], "pixels"))

    set_determinism(9)  # notebook 09's default seed
    images = x_train.reshape(-1, 1, 8, 8)
    cnn = train(DigitsCNN(), images, y_train, epochs=8, lr=3e-3, adv_eps_max=0.0, seed=9)
    print(write_package("digits-cnn-course09", cnn, x_eval, y_eval, [1, 8, 8], "x"))


if __name__ == "__main__":
    main()
