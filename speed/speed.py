"""Speed and memory of DATNClassifier.fit against a bare PyTorch loop (the floor).

Usage: python speed/speed.py [--device cpu|cuda] [--threads 1] [--epochs 10]
       [--batch-sizes full 256] [--repeat 3] [--big-rows 1000000] [--skip ...]

On the paper's Amazon protocol sizes (source 15000 unlabelled + 3000 labelled,
target 15000 unlabelled + 50 labelled, 2000 pairs, 3 classes, 128 features
and hidden layers 100-100 on both sides; synthetic data of those shapes) it
prints, for each batch size:

- ``fit``: the wall time of ``DATNClassifier.fit`` for ``--epochs`` pretraining
  epochs per domain and ``--epochs`` fine-tuning epochs (early stopping off);
- ``bare``: the wall time of a plain PyTorch loop (nn.Linear layers, the same
  losses, the same forward and backward passes, torch's default Adam, data
  already in float32 tensors) for the same epochs;
- their ratio and the rows per second of the fit (rows visited by both stages);

then the same for a sparse input (1000 features, ``--density`` non-zeros; the
bare loop works on dense copies, so the ratio includes the fit's per-batch
densification), the wall time of a paper-size fit with the default settings
(hidden layers, epochs and early stopping as the estimator's defaults), and
the peak memory (RSS) of fits on ``--big-rows`` source rows x 128 features,
float64, with each of ``--big-batches`` (``full``: full batches, processed in
chunks), measured in a child process. Each timing is the best of
``--repeat`` runs, fit and bare loop alternating. The machine's load
(``os.getloadavg``) is printed: timings on a loaded machine are noisy. With
``--threads`` above 1 on a machine shared with other jobs, run it with
``OMP_WAIT_POLICY=PASSIVE``: torch's idle OpenMP threads otherwise spin, and
any run that loses a core to another job is slowed several times over.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits
from torch import nn

from skdatn import DATNClassifier, Domain, Pairs

N_CLASSES = 3
PAPER = {  # Table 2 of the paper, Amazon
    "source_unlabeled": 15000,
    "source_labeled": 3000,
    "target_unlabeled": 15000,
    "target_labeled": 50,
    "pairs": 2000,
}
HIDDEN = (100, 100)
LAMBDA_REG, LAMBDA_PAIR, ALPHA, BETA, RECON, LR = 1e-2, 0.1, 2.0, 1.0, 0.1, 3e-3


# ----------------------------------------------------------------------- data
def make_task(d: int, rng, sizes=PAPER, density: float | None = None) -> dict:
    """Synthetic rows of the protocol's shapes; sparse CSR when ``density`` is set."""

    def rows(n):
        if density is None:
            return rng.normal(size=(n, d))
        return sp.random(n, d, density=density, format="csr", random_state=rng)

    ys = np.full(sizes["source_labeled"] + sizes["source_unlabeled"], -1)
    ys[: sizes["source_labeled"]] = rng.integers(
        N_CLASSES, size=sizes["source_labeled"]
    )
    yt = rng.integers(N_CLASSES, size=sizes["target_labeled"])
    yt[:N_CLASSES] = np.arange(N_CLASSES)
    return {
        "Xs": rows(len(ys)),
        "ys": ys,
        "Xt": rows(len(yt)),
        "yt": yt,
        "Xu": rows(sizes["target_unlabeled"]),
        "Ps": rows(sizes["pairs"]),
        "Pt": rows(sizes["pairs"]),
    }


def n_rows(task: dict) -> tuple[int, int]:
    """Training rows of the source and target domains (labelled, unlabelled, pairs)."""
    n_s = task["Xs"].shape[0] + task["Ps"].shape[0]
    n_t = task["Xt"].shape[0] + task["Xu"].shape[0] + task["Pt"].shape[0]
    return n_s, n_t


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


# ------------------------------------------------------------------------ fit
def time_fit(task: dict, device: str, **params) -> float:
    return timed_fit(task, device, **params)[0]


def timed_fit(task: dict, device: str, **params) -> tuple[float, DATNClassifier]:
    clf = DATNClassifier(random_state=0, device=device, **params)
    sync(device)
    start = time.perf_counter()
    clf.fit(
        task["Xt"],
        task["yt"],
        X_source=Domain(task["Xs"], task["ys"]),
        pairs=Pairs(task["Ps"], task["Pt"]),
        X_unlabeled=Domain(task["Xu"]),
    )
    sync(device)
    return time.perf_counter() - start, clf


# ------------------------------------------------------------------ bare loop
class Net(nn.Module):
    """One pathway with plain layers: ReLU encoder, untied decoder, classifier."""

    def __init__(self, d: int, hidden: tuple[int, ...]):
        super().__init__()
        sizes = [d, *hidden]
        enc, dec = [], []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            enc += [nn.Linear(a, b), nn.ReLU()]
        pairs = list(zip(sizes[:-1], sizes[1:], strict=True))[::-1]
        for i, (a, b) in enumerate(pairs):
            dec.append(nn.Linear(b, a))
            if i < len(pairs) - 1:
                dec.append(nn.ReLU())
        self.enc, self.dec = nn.Sequential(*enc), nn.Sequential(*dec)
        self.cls = nn.Linear(hidden[-1], N_CLASSES, bias=False)

    def reg(self) -> torch.Tensor:
        return LAMBDA_REG * sum(p.pow(2).sum() for p in self.enc.parameters())


def sq_error(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Squared reconstruction error, mean over rows (one fused kernel, as the fit)."""
    return F.mse_loss(x_hat, x, reduction="sum") / len(x)


def recon(net: Net, x: torch.Tensor) -> torch.Tensor:
    return sq_error(net.dec(net.enc(x)), x)


def batches(n: int, bs: int | None, steps: int, device) -> list:
    if bs is None or n <= bs:
        return [None] * steps
    order = torch.cat([torch.randperm(n) for _ in range(math.ceil(steps * bs / n))])
    return list(order[: steps * bs].to(device).split(bs))


def pick(X: torch.Tensor, index) -> torch.Tensor:
    return X if index is None else X[index]


def bare_loop(task: dict, device: str, epochs: int, bs: int | None) -> float:
    """The same forward/backward passes as the fit, written plainly; returns seconds."""
    torch.manual_seed(0)
    start = time.perf_counter()

    def dense(*blocks):
        mats = [b.toarray() if sp.issparse(b) else b for b in blocks]
        return torch.from_numpy(np.vstack(mats).astype(np.float32)).to(device)

    lab = task["ys"] != -1
    S = dense(task["Xs"][lab], task["Xs"][~lab], task["Ps"])  # labelled, unlab., pairs
    T = dense(task["Xt"], task["Xu"], task["Pt"])
    ys = torch.from_numpy(task["ys"][lab]).to(device)
    yt = torch.from_numpy(task["yt"]).to(device)
    n_c = task["Ps"].shape[0]
    src, tgt = Net(S.shape[1], HIDDEN).to(device), Net(T.shape[1], HIDDEN).to(device)

    for X, y, net in ((S, ys, src), (T, yt, tgt)):  # pretraining, each domain
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        steps = 1 if bs is None else math.ceil(len(X) / bs)
        for _ in range(epochs):
            for rb, lb in zip(
                batches(len(X), bs, steps, device),
                batches(len(y), bs, steps, device),
                strict=True,
            ):
                x = pick(X, rb)
                if rb is None:  # full batch: the labelled rows are the first rows
                    z = net.enc(x)
                    loss = RECON * sq_error(net.dec(z), x)
                    logits = net.cls(z[: len(y)])
                else:
                    loss = RECON * recon(net, x)
                    logits = net.cls(net.enc(pick(X[: len(y)], lb)))
                loss = loss + F.cross_entropy(logits, pick(y, lb)) + net.reg()
                opt.zero_grad()
                loss.backward()
                opt.step()

    opt = torch.optim.Adam([*src.parameters(), *tgt.parameters()], lr=LR)
    steps = 1 if bs is None else math.ceil(max(len(S), len(T)) / bs)
    eye = torch.eye(HIDDEN[-1], dtype=torch.float64, device=device)
    for _ in range(epochs):  # fine-tuning: G from all pairs, then steps
        with torch.no_grad():
            zs_c = src.enc(S[-n_c:]).double()
            zt_c = tgt.enc(T[-n_c:]).double()
            G = torch.linalg.solve(zt_c.T @ zt_c + LAMBDA_PAIR * eye, zt_c.T @ zs_c)
            G = G.float()
        for sb, tb, slb, tlb, pb in zip(
            batches(len(S), bs, steps, device),
            batches(len(T), bs, steps, device),
            batches(len(ys), bs, steps, device),
            batches(len(yt), bs, steps, device),
            batches(n_c, bs, steps, device),
            strict=True,
        ):
            xs, xt = pick(S, sb), pick(T, tb)
            zs, zt = src.enc(xs), tgt.enc(xt)
            if sb is None:  # full batch: labelled rows first, pairs last
                zs_l, zs_c, zt_l, zt_c = (
                    zs[: len(ys)],
                    zs[-n_c:],
                    zt[: len(yt)],
                    zt[-n_c:],
                )
            else:
                zs_l = src.enc(pick(S[: len(ys)], slb))
                zt_l = tgt.enc(pick(T[: len(yt)], tlb))
                zs_c = src.enc(pick(S[-n_c:], pb))
                zt_c = tgt.enc(pick(T[-n_c:], pb))
            loss = (
                RECON * sq_error(src.dec(zs), xs)
                + F.cross_entropy(src.cls(zs_l), pick(ys, slb))
                + RECON * sq_error(tgt.dec(zt), xt)
                + F.cross_entropy(tgt.cls(zt_l), pick(yt, tlb))
                + ((zs_c - zt_c @ G).pow(2).sum() + LAMBDA_PAIR * G.pow(2).sum())
                / len(zs_c)
                + ALPHA * F.cross_entropy(src.cls(zt_l @ G), pick(yt, tlb))
                + BETA * (zs.mean(0) - zt.mean(0)).pow(2).sum()
                + src.reg()
                + tgt.reg()
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    sync(device)
    return time.perf_counter() - start


# ------------------------------------------------------------------- sections
def compare(name: str, task: dict, args, bs: int | None) -> None:
    """Best-of-repeat fit and bare-loop times on ``task`` at batch size ``bs``."""
    params = dict(
        hidden_layer_sizes=HIDDEN,
        pretrain_epochs=args.epochs,
        finetune_epochs=args.epochs,
        n_iter_no_change=None,
        batch_size=bs,
        mixed_precision=args.mixed_precision,
    )
    fit_times, bare_times = [], []
    for _ in range(args.repeat):
        fit_times.append(time_fit(task, args.device, **params))
        bare_times.append(bare_loop(task, args.device, args.epochs, bs))
    t_fit, t_bare = min(fit_times), min(bare_times)
    n_s, n_t = n_rows(task)
    rows = 2 * args.epochs * (n_s + n_t)  # both stages visit every row each epoch
    label = "full" if bs is None else str(bs)
    print(
        f"{name:<22} batch={label:<5} fit {t_fit:7.2f}s  bare {t_bare:7.2f}s  "
        f"ratio {t_fit / t_bare:5.2f}  fit {rows / t_fit:10,.0f} rows/s  "
        f"(runs: fit {_fmt(fit_times)}, bare {_fmt(bare_times)})",
        flush=True,
    )


def _fmt(times: list[float]) -> str:
    return "/".join(f"{t:.2f}" for t in times)


def default_fit(args) -> None:
    task = make_task(128, np.random.default_rng(1))
    t, clf = timed_fit(task, args.device, mixed_precision=args.mixed_precision)
    epochs = {}
    for record in clf.history_:
        epochs[record["stage"]] = epochs.get(record["stage"], 0) + 1
    p = clf.get_params()
    print(
        f"{'paper, defaults':<22} fit {t:7.2f}s (hidden {p['hidden_layer_sizes']}, "
        f"batch_size={p['batch_size']}, epochs run {epochs} of at most "
        f"{p['pretrain_epochs']}/{p['pretrain_epochs']}/{p['finetune_epochs']})",
        flush=True,
    )


def big_fit(args) -> None:
    """Run the big fit in a child process and print its peak RSS."""
    cmd = [
        sys.executable,
        __file__,
        "--child-big-fit",
        "--device",
        args.device,
        "--threads",
        str(args.threads),
        "--big-rows",
        str(args.big_rows),
        "--big-batch",
        args.big_batch,
        *(["--mixed-precision", args.mixed_precision] if args.mixed_precision else []),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    gpu = "" if r["gpu_gib"] is None else f", GPU peak {r['gpu_gib']:.2f} GiB"
    print(
        f"{'big fit':<22} {args.big_rows:,} source rows x 128 (float64 input "
        f"{r['input_gib']:.2f} GiB), batch {args.big_batch}, 1+1+1 epochs: "
        f"peak RSS {r['peak_gib']:.2f} GiB (after making the data "
        f"{r['data_gib']:.2f} GiB){gpu}, fit {r['fit_s']:.1f}s",
        flush=True,
    )


def child_big_fit(args) -> None:
    rng = np.random.default_rng(2)
    sizes = dict(PAPER, source_unlabeled=args.big_rows - PAPER["source_labeled"])
    task = make_task(128, rng, sizes)
    data_gib = _peak_gib()
    input_gib = sum(v.nbytes for v in task.values()) / 2**30
    t = time_fit(
        task,
        args.device,
        hidden_layer_sizes=HIDDEN,
        batch_size=None if args.big_batch == "full" else int(args.big_batch),
        pretrain_epochs=1,
        finetune_epochs=1,
        mixed_precision=args.mixed_precision,
    )
    print(
        json.dumps(
            {
                "peak_gib": _peak_gib(),
                "data_gib": data_gib,
                "input_gib": input_gib,
                "fit_s": t,
                "gpu_gib": torch.cuda.max_memory_allocated() / 2**30
                if args.device.startswith("cuda")
                else None,
            }
        )
    )


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-sizes", nargs="+", default=["full", "256"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--density", type=float, default=0.01)
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--big-batches", nargs="+", default=["1024", "full"])
    parser.add_argument("--big-batch", default="1024", help=argparse.SUPPRESS)
    parser.add_argument("--mixed-precision", choices=["bfloat16", "float16"])
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["dense", "sparse", "defaults", "big"],
    )
    parser.add_argument("--child-big-fit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with threadpool_limits(args.threads):
        if args.child_big_fit:
            return child_big_fit(args)
        run(args)


def run(args) -> None:
    print(
        f"torch {torch.__version__}, device {args.device}, {args.threads} thread(s), "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
        f"{args.epochs}+{args.epochs} epochs, best of {args.repeat}",
        flush=True,
    )
    sizes = [None if b == "full" else int(b) for b in args.batch_sizes]
    # Warm-up: the first optimiser step of a process pays lazy imports.
    small = dict(PAPER, source_unlabeled=100, target_unlabeled=100, pairs=50)
    warm = make_task(8, np.random.default_rng(0), small)
    time_fit(warm, args.device, hidden_layer_sizes=(4,), pretrain_epochs=2)
    bare_loop(warm, args.device, 2, None)
    if "dense" not in args.skip:
        task = make_task(128, np.random.default_rng(0))
        for bs in sizes:
            compare("dense 128", task, args, bs)
    if "sparse" not in args.skip:
        task = make_task(1000, np.random.default_rng(0), density=args.density)
        for bs in sizes:
            compare(f"sparse 1000 ({args.density:.0%})", task, args, bs)
    if "defaults" not in args.skip:
        default_fit(args)
    if "big" not in args.skip:
        for batch in args.big_batches:
            args.big_batch = batch
            big_fit(args)
    print(f"load average at the end {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
