# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: repro
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   repro:
#     arxiv: '2509.13353'
#     authors:
#     - Muhammad Adnan Shahzad
#     links:
#       code: https://github.com/adnanphp/Hybrid-Quantum-Classical
#       paper: https://arxiv.org/abs/2509.13353
#     number: 1
#     objectives:
#     - Build a parameterised quantum circuit as a torch layer and check it against
#       a hand-computed state and finite differences
#     - Separate the effect of a quantum layer from the effects of width and training
#       recipe with a classical twin
#     - Attack a model in its own input range (FGSM, PGD with restarts) and look for
#       gradient masking
#     part: quantum
#     slug: hybrid-qnn-image-classification
#     tags:
#     - quantum machine learning
#     - PennyLane
#     - CNN
#     - adversarial robustness
#     thumbnail: Test accuracy of the hybrid CNN+PQC, its classical twin and the classical
#       CNNs on three 8x8 data sets
#     title: Hybrid Quantum-Classical Model for Image Classification
#     venue: arXiv preprint
#     year: 2025
# ---

# %% [markdown]
# # A hybrid quantum-classical CNN for image classification, against a classical twin
#
# The paper puts a small parameterised quantum circuit (PQC) into a convolutional network. A
# convolutional trunk extracts features, two dense layers squeeze them into a 16-dimensional probability
# vector, and that vector becomes the amplitudes of a 4-qubit state. Two layers of single-qubit X
# rotations and a ring of CNOTs act on that state, and the four Pauli-Z expectations feed a small dense
# head. The circuit is simulated with PennyLane and trained end to end with the rest of the network. The
# paper compares this hybrid with a wider classical CNN on MNIST, CIFAR-100 and STL-10. It reports that
# the hybrid is more accurate, that its lead grows with the difficulty of the data, that it trains 5-12x
# faster per epoch with fewer parameters, and that it is far more robust to an adversarial attack on
# MNIST.
#
# **What runs here.** The same architecture, scaled to 8x8 images, on three small data sets: scikit-learn's
# digits (D1), the same digits with noise and random shifts (D2), and 20 classes of noisy synthetic
# gratings (D3). The circuit is a torch layer from `lib.quantum.hybrid`; it runs on an exact batched
# statevector in torch, and PennyLane's `default.qubit` (backprop) computes the same function, which we
# check on the trained model and time. Besides the paper's two models we train two controls the paper
# lacks. The *classical twin* is the hybrid with its circuit replaced by `Linear(16, 4) + tanh`, trained
# with the hybrid's recipe. The *same-recipe classical* (full profile) is the paper's classical CNN trained
# with the hybrid's optimiser and schedule. The two arms of the paper differ in width, optimiser, schedule
# and gradient clipping at once, and only these controls tell the quantum layer's share apart. Adversarial
# robustness is measured with FGSM and PGD in the models' own input space, pixels in [0, 1].

# %% [markdown]
# ## Claims under test
#
# The paper's claims, in our words. **C1**: after 50 epochs the hybrid is more accurate than the classical
# CNN on all three data sets. We judge it on our two harder data sets (D2, D3; D1 saturates near 100 % for
# every model), against the classical CNN and against the hybrid's classical twin: only the second
# comparison isolates the circuit. **C2**: the hybrid's lead grows with the difficulty of the data.
# **C3a**: the hybrid trains 5-12x faster per epoch; **C3b**: it has 6-32 % fewer parameters. We judge
# C3b on the parameter counts printed in the official training logs of the three runs behind the paper's
# accuracies, since the widths of our scaled models are our own choice. **C4**: under a PGD attack at the
# paper's ε (0.1 in normalised MNIST units, 0.1 × 0.3081 ≈ 0.03 in pixel units) the hybrid keeps far more
# accuracy than the classical CNN on digits. **C5**: it uses less memory and CPU.
#
# Accuracies on a few hundred test images are noisy: each margin is the mean paired difference over the
# test images of all seeds, with a 95 % bootstrap interval, and a criterion holds only when the whole
# interval meets it. C1 and C2 are judged after training has converged: control S2 trains the hybrid (in
# the full profile also its twin and the classical CNN) twice as long on the hardest data set and checks
# that its accuracy no longer moves. The full profile trains the paper's 50 epochs.

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 90 s on 2 idle cores (D1-D3, 3 models, 2 seeds, 20 epochs and a 40-epoch convergence check of the hybrid, 100 attacked images); full: also the classical CNN with the hybrid's recipe, 3 seeds, the paper's 50 epochs, a 100-epoch convergence check of all three models, all 450 images, eps sweep, PGD-50x3. one of: quick, full
seed: int = 0  # master random seed; run r of a model uses seed + r. range: 0..2**31-1
device: str = "cpu"  # torch device; CPU only: models this small gain nothing from a GPU, and PennyLane simulates on the CPU. one of: cpu
n_seeds: Optional[int] = None  # training seeds per model and data set; None: 2 quick, 3 full. range: 1..10
epochs: Optional[int] = None  # training epochs per run (the paper: 50); None: 20 quick, 50 full. range: 2..200
n_qubits: int = 4  # qubits of the PQC (amplitude embedding takes 2**n_qubits inputs; the paper: 4). range: 1..8
n_layers: int = 2  # basic entangler layers of the PQC (the paper: 2). range: 1..10
embedding: str = "amplitude"  # how features enter the circuit: amplitudes (the paper) or Hadamard + RY angles. one of: amplitude, angle
backend: str = "torch"  # simulator used in training: exact torch statevector, or PennyLane's default.qubit / lightning.qubit (much slower). one of: torch, default.qubit, lightning.qubit
n_attack: Optional[int] = None  # D1 test images attacked per model and seed; None: 100 quick, all (450) full. range: 10..450
eps_list: Optional[str] = None  # L-inf attack radii in pixel units (comma-separated; 0.03, the paper's radius, is always run); None: "0.03,0.1" quick, "0.03,0.05,0.1,0.2" full. items: float in 0..1
timing_epochs: int = 3  # interleaved timing rounds, one epoch of each model per round (fresh models, D1, PennyLane for the hybrid). range: 2..20

# %%
import time

import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import display
from myst_nb import glue
from torch import nn
from tqdm import tqdm

import lib.runinfo
from lib import stats
from lib.claims import ARITHMETIC, MEASURED, SANITY, Above, AtLeast, AtMost, Between, Claims, Estimate, IsTrue
from lib.data import digits
from lib.plot import subplots, use_style
from lib.quantum.hybrid import QuantumLayer, circuit_text, n_inputs
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(n_seeds=2, epochs=20, n_attack=100, eps_list="0.03,0.1", strong=(20, 2),
                                          same_recipe=False, long_models=("hybrid",)),
                      full=dict(n_seeds=3, epochs=50, n_attack=450, eps_list="0.03,0.05,0.1,0.2", strong=(50, 3),
                                same_recipe=True, long_models=("hybrid", "twin", "classical")),
                      n_seeds=n_seeds, epochs=epochs, n_attack=n_attack, eps_list=eps_list)
n_seeds, epochs, n_attack = sizes.n_seeds, sizes.epochs, sizes.n_attack
EPS_PAPER = 0.03  # the paper's ε = 0.1 in normalised MNIST units: 0.1 x 0.3081 (MNIST's pixel std) ≈ 0.03 pixels
eps_values = sorted({float(e) for e in sizes.eps_list.split(",")} | {EPS_PAPER})
seeds = [seed + r for r in range(n_seeds)]
strong_steps, strong_restarts = sizes.strong  # the gradient-masking check
torch_device = torch.device(device)
BATCH = 64  # the paper's batch size

# %% tags=["hide-input"]
claims = Claims("hybrid-qnn-image-classification")
claims.claim("C1", "After training, the hybrid is more accurate than the classical CNN on the harder data sets, "
             "and more accurate than its classical twin", paper="+1.2 / +9.44 / +10.29 pp over the classical CNN "
             "(MNIST, CIFAR-100, STL-10; validation accuracy after 50 epochs)",
             criterion={"D2 vs classical": Above(0), "D3 vs classical": Above(0),
                        "D2 vs twin": Above(0), "D3 vs twin": Above(0)},
             partial={"D2 vs classical": Above(0), "D3 vs classical": Above(0)}, unit="pp", evidence=MEASURED,
             falsifier="the trained hybrid with its circuit's output replaced by its mean over the training images "
                       "(the quantum layer's information removed)",
             revised="judged after convergence (20 epochs quick, checked by S2; the paper's 50 full) instead of after 6 epochs, and "
                     "on each margin's 95% bootstrap interval over test images instead of mean − 2 SE over 2 seeds "
                     "of the worse data set")
claims.claim("C2", "The hybrid's lead over the classical CNN grows with the difficulty of the data (D1 < D2 < D3)",
             paper="+1.2 < +9.44 < +10.29 pp",
             criterion={"D2 − D1 margin": Above(0), "D3 − D2 margin": Above(0), "margin on D3": Above(0)},
             unit="pp", evidence=MEASURED, falsifier="the classical twin in place of the hybrid (no quantum layer)",
             revised="each step of the ordering is judged on its bootstrap interval instead of the mean margins; "
                     "judged after convergence instead of after 6 epochs")
claims.claim("C3a", "The hybrid trains 5-12x faster per epoch than the classical CNN",
             paper="5-12x (MNIST 21.23 vs 108.44 s/epoch)",
             criterion={"classical / hybrid (PennyLane)": Between(5, 12), "classical / hybrid (torch)": Between(5, 12)},
             partial={"classical / hybrid (PennyLane)": Above(1.2)}, unit="x", timed=True, evidence=MEASURED,
             falsifier="the classical twin in place of the hybrid (the same narrow trunk, no circuit)")
claims.claim("C3b", "The hybrid has 6-32 % fewer parameters than the classical CNN",
             paper="6-32 % fewer; official logs: hybrid 142,530 / 1,164,796 / 4,603,298 and classical 151,754 / "
                   "1,710,436 / 1,687,306 parameters (MNIST / CIFAR-100 / STL-10)",
             criterion={"MNIST": Between(6, 32), "CIFAR-100": Between(6, 32), "STL-10": Between(6, 32)},
             unit="% fewer", evidence=ARITHMETIC,
             revised="recomputed from the official training logs' parameter counts instead of our scaled "
                     "architectures, whose widths are our choice; the partial rule (> 0 % fewer) is dropped")
claims.claim("C4", "At the paper's ε the hybrid keeps far more accuracy under attack on digits than the classical "
             "CNN, and more than its twin", paper="45.27 vs 10.80 % robust accuracy (PGD, MNIST, ε = 0.1 in "
             "normalised units ≈ 0.03 in pixels)",
             criterion={"hybrid − classical": AtLeast(15), "hybrid − twin": AtLeast(10)},
             partial={"hybrid − classical": AtLeast(5)}, unit="pp", evidence=MEASURED,
             falsifier="the trained hybrid with its circuit's output replaced by its training-set mean, attacked "
                       "the same way",
             revised="judged at ε = 0.03 in pixel units (the paper's 0.1 in normalised units) instead of ε = 0.1 in "
                     "pixels, and on a bootstrap interval over the attacked images of all seeds instead of the "
                     "minimum over seeds")
claims.claim("C5", "The hybrid uses less memory and less CPU", paper="4-5 vs 5-6 GB; 9.5 vs 23.2 % CPU",
             not_testable="the paper's numbers are system-wide RAM and CPU-percent snapshots, not properties of a "
                          "model; one process trains all our models, so its peak memory cannot be split by model")
claims.control("S1", "PennyLane's default.qubit computes the same trained hybrid as our torch statevector",
               criterion={"max |logit difference|": AtMost(1e-4), "same predictions": IsTrue()}, kind=SANITY)
claims.control("S2", "Training has converged: on D3 (first seed), trained twice as long, the hybrid (in the full "
               "profile also its twin and the classical CNN) ends within 5 pp of its test accuracy", criterion=AtMost(5),
               unit="pp (largest change)", kind=SANITY,
               revised="was: no run's mean test accuracy over its last 3 epochs more than 2 pp above the 3 before; "
                       "those windows straddle the classical recipe's warm restarts (every 5 epochs), and the "
                       "hybrid's OneCycle anneal flattens any curve at its end, so the rule could neither show nor "
                       "rule out convergence. The quick profile now checks the hybrid alone (it moved most when all "
                       "three were checked, and its under-training is the one that would bias C1, C2 and C4 against "
                       "the paper), to keep the quick run within its time budget")
claims.show_criteria()

# %% [markdown]
# ## Method
#
# **Data** (8x8 grey images, pixels in [0, 1], stratified 75/25 train/test split fixed by the seed):
# - **D1**: scikit-learn's 1,797 handwritten digits (`lib.data.digits`), 10 classes.
# - **D2**: D1 with Gaussian noise (σ = 0.35) and a random shift of up to one pixel in each direction,
#   clipped back to [0, 1]; 10 classes.
# - **D3**: synthetic gratings, 20 classes = 5 orientations x 4 spatial frequencies, random phase,
#   Gaussian noise σ = 0.5, clipped to [0, 1]; 90 images per class.
#
# **The circuit** (`lib.quantum.hybrid.QuantumLayer`, the paper's 4-qubit amplitude version). A
# non-negative input x ∈ R^16 becomes the state |ψ⟩ = x/‖x‖. Each of the two layers applies RX(w_{l,q})
# on every qubit q, then CNOT(0,1), CNOT(1,2), CNOT(2,3), CNOT(3,0). The outputs are ⟨Z_q⟩ = ⟨ψ|U†Z_qU|ψ⟩ for
# q = 0..3. That makes 8 trainable parameters. Only the embedding depends on the data, so our torch
# back-end builds the 16x16 unitary U(w) once per batch and computes all samples as one matrix product.
# The unit tests check it against closed forms, a numpy statevector, PennyLane and finite differences.
#
# **Models** (trunk T(c1, c2) = Conv3x3(1→c1)+BN+ReLU+MaxPool2 → Conv3x3(c1→c2)+BN+ReLU → average
# pooling to 2x2; head H(k) = Linear(k,128)+BN+ReLU+Dropout(0.3)+Linear(128, classes)):
#
# | model | layers | recipe |
# |---|---|---|
# | `hybrid` | T(8,16) → Linear(64,64)+ReLU+Linear(64,16)+Softmax → PQC → H(4) | hybrid |
# | `twin` | as `hybrid`, PQC replaced by Linear(16,4)+tanh | hybrid |
# | `classical` | wider T(16,32) → H(128) (the paper's classical arm) | classical |
# | `classical-same-recipe` | as `classical` (full profile only) | hybrid |
#
# **Recipes**, both from the official code: cross-entropy with label smoothing 0.1 and batch 64.
# *hybrid*: AdamW(lr 1e-3, weight decay 0.01), OneCycle (max lr 2e-3, 30 % warm-up), gradient norm
# clipped at 1. *classical*: Adam(lr 3e-3, weight decay 5e-3), cosine annealing with warm restarts every
# 5 epochs (η_min = 1e-5), no clipping. We leave out the official code's augmentation (small affine
# jitter), since a 10 % shift of an 8x8 image is less than a pixel. We report the **test accuracy after
# the last epoch**; the paper reports validation accuracy.
#
# **Attacks** on D1 test images, with the model in eval mode, in pixel units, every adversarial image
# clipped to [0, 1]. FGSM: x' = clip(x + ε·sign ∇ₓL). PGD-10 as in the paper (torchattacks defaults:
# random start, step α = 0.01 at ε = 0.1, i.e. α = ε/10, 10 steps). A stronger PGD (α = ε/4; 20 steps and
# 2 random restarts in the quick profile, 50 steps and 3 restarts in the full one) checks for gradient
# masking. The *robust accuracy* is the share of images that
# survive every attack we ran. The paper's ε = 0.1 is in *normalised* MNIST units, about 0.03 in pixels:
# C4 is judged at ε = 0.03, and ε = 0.1 in pixels (a three times larger attack) is shown for context.

# %%
def shifted_noisy_digits(split, rng, sigma=0.35):
    """D2: each image rolled by up to one pixel in each direction (zeros shifted in), plus N(0, σ²) noise."""
    def corrupt(images):
        out = np.zeros_like(images)
        padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
        dy, dx = rng.integers(-1, 2, size=(2, len(images)))
        for i, (a, b) in enumerate(zip(dy, dx)):
            out[i] = padded[i, 1 + a:9 + a, 1 + b:9 + b]
        return np.clip(out + rng.normal(0, sigma, out.shape), 0, 1).astype(np.float32)
    return split._replace(x_train=corrupt(split.x_train), x_test=corrupt(split.x_test))


def gratings(rng, per_class=90, n_orient=5, freqs=(0.08, 0.16, 0.25, 0.35), sigma=0.5, size=8):
    """D3: I = 0.5 + 0.5 sin(2π f (x cos θ + y sin θ) + φ) + noise, class = (θ, f), φ uniform."""
    yy, xx = np.mgrid[:size, :size].astype(np.float64)
    images, labels = [], []
    for c, (k, f) in enumerate((k, f) for k in range(n_orient) for f in freqs):
        theta = np.pi * k / n_orient
        phase = rng.uniform(0, 2 * np.pi, size=(per_class, 1, 1))
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * f * (xx * np.cos(theta) + yy * np.sin(theta)) + phase)
        images.append(wave + rng.normal(0, sigma, wave.shape))
        labels.append(np.full(per_class, c))
    return np.clip(np.concatenate(images), 0, 1).astype(np.float32), np.concatenate(labels)


def make_datasets(split_seed):
    """The three data sets of one seed, as float tensors (N, 1, 8, 8) and labels."""
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(split_seed)
    d1 = digits(seed=split_seed)
    d2 = shifted_noisy_digits(d1, rng)
    x3, y3 = gratings(rng)
    xa, xb, ya, yb = train_test_split(x3, y3, test_size=0.25, random_state=split_seed, stratify=y3)
    out = {}
    for name, (xtr, ytr, xte, yte) in {"D1": d1, "D2": d2, "D3": (xa, ya, xb, yb)}.items():
        out[name] = dict(x_train=torch.tensor(xtr)[:, None], y_train=torch.tensor(ytr, dtype=torch.long),
                         x_test=torch.tensor(xte)[:, None], y_test=torch.tensor(yte, dtype=torch.long),
                         classes=int(ytr.max()) + 1)
    return out


data = {s: make_datasets(s) for s in seeds}
fig, axes = subplots(3, 8, width=8, height=3.3)
for row, name in zip(axes, ["D1", "D2", "D3"]):
    for j, ax in enumerate(row):
        ax.imshow(data[seeds[0]][name]["x_train"][j, 0], cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([]), ax.set_yticks([])
    row[0].set_ylabel(name)
fig.suptitle("Training images of the three data sets");

# %% [markdown]
# The circuit (amplitude embedding shown as |Ψ⟩, weights at zero):

# %%
print(circuit_text(n_qubits, n_layers, embedding))

# %%
def trunk(c1, c2):
    """Conv(1→c1)+BN+ReLU+MaxPool2 → Conv(c1→c2)+BN+ReLU → AvgPool2 → flatten (4·c2).

    On the 4x4 maps of an 8x8 image AvgPool2 is the paper's AdaptiveAvgPool to 2x2, and faster on a CPU.
    """
    return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),
                         nn.AvgPool2d(2), nn.Flatten())


def head(k, classes):
    return nn.Sequential(nn.Linear(k, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(128, classes))


def bottleneck(kind, pqc_backend):
    """The 16 → 4 stage: the PQC, or its classical twin Linear(16,4)+tanh (also bounded in [-1, 1])."""
    if kind == "pqc":
        return QuantumLayer(n_qubits, n_layers, embedding, backend=pqc_backend)
    return nn.Sequential(nn.Linear(n_inputs(n_qubits, embedding), n_qubits), nn.Tanh())


def build(model_name, classes, pqc_backend=None):
    """One of the four models of the table above (weights drawn from torch's global generator)."""
    if model_name in ("hybrid", "twin"):
        width = n_inputs(n_qubits, embedding)
        # Softmax gives the non-negative, normalised amplitudes; an angle embedding takes the raw features.
        squash = [nn.Softmax(dim=-1)] if embedding == "amplitude" else []
        return nn.Sequential(trunk(8, 16), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, width), *squash,
                             bottleneck("pqc" if model_name == "hybrid" else "twin", pqc_backend or backend),
                             head(n_qubits, classes))
    return nn.Sequential(trunk(16, 32), head(128, classes))


MODELS = ["hybrid", "twin", "classical"] + (["classical-same-recipe"] if sizes.same_recipe else [])
RECIPE = {"hybrid": "hybrid", "twin": "hybrid", "classical": "classical", "classical-same-recipe": "hybrid"}


def n_params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def optimiser(model, recipe, steps_per_epoch, n_epochs):
    """(optimizer, scheduler, step the scheduler per batch?, gradient clip norm) of a recipe."""
    if recipe == "hybrid":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps_per_epoch * n_epochs,
                                                    pct_start=0.3)
        return opt, sched, True, 1.0
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=5e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5, eta_min=1e-5)
    return opt, sched, False, None


@torch.no_grad()
def correct(model, x, y):
    """Per image: is the prediction right? (eval mode)"""
    model.eval()
    return (model(x.to(torch_device)).argmax(1).cpu() == y)


def epoch_runner(model, d, recipe, n_epochs, run_seed):
    """A function that trains `model` in place for one more epoch of the recipe and returns its seconds."""
    model.to(torch_device)
    gen = torch.Generator().manual_seed(run_seed)
    n = len(d["y_train"])
    steps = -(-n // BATCH)
    opt, sched, per_batch, clip = optimiser(model, recipe, steps, n_epochs)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    def one_epoch():
        model.train()
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, BATCH):
            idx = order[i:i + BATCH]
            if len(idx) < 2:  # BatchNorm needs two samples
                continue
            loss = loss_fn(model(d["x_train"][idx].to(torch_device)), d["y_train"][idx].to(torch_device))
            opt.zero_grad()
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            if per_batch:
                sched.step()
        if not per_batch:
            sched.step()
        return time.perf_counter() - t0
    return one_epoch


def train(model, d, recipe, n_epochs, run_seed):
    """Train in place; returns the test accuracy after each epoch."""
    one_epoch = epoch_runner(model, d, recipe, n_epochs, run_seed)
    history = []
    for _ in range(n_epochs):
        one_epoch()
        history.append(correct(model, d["x_test"], d["y_test"]).float().mean().item())
    return history


# %% [markdown]
# ## Experiments
#
# ### Accuracy on three data sets
#
# Every model is trained on every data set with every seed, one thread, seeded: the accuracies below are
# the same on every run.

# %%
runs, curves, trained, right = [], [], {}, {}
jobs = [(s, name, m) for s in seeds for name in ["D1", "D2", "D3"] for m in MODELS]
with lib.runinfo.threads(1):
    for s, name, m in tqdm(jobs, desc="training runs", mininterval=5):
        d = data[s][name]
        torch.manual_seed(s)
        model = build(m, d["classes"])
        history = train(model, d, RECIPE[m], epochs, s)
        trained[s, name, m] = model
        right[s, name, m] = correct(model, d["x_test"], d["y_test"]).numpy()
        runs.append(dict(seed=s, data=name, model=m, test_acc=100 * history[-1], params=n_params(model)))
        curves += [dict(seed=s, data=name, model=m, epoch=e + 1, test_acc=100 * a) for e, a in enumerate(history)]
runs, curves = pd.DataFrame(runs), pd.DataFrame(curves)
acc_table = runs.pivot_table(index="model", columns="data", values="test_acc", aggfunc=["mean", "std"]).round(2)
display(acc_table.loc[MODELS])

# %% tags=["thumbnail"]
fig, ax = subplots()
sns.barplot(runs, x="data", y="test_acc", hue="model", hue_order=MODELS, errorbar="sd", ax=ax)
ax.set(ylabel="test accuracy after the last epoch (%)", xlabel="",
       title=f"Hybrid CNN+PQC vs classical twin and classical CNNs ({len(seeds)} seeds, sd bars)")
ax.set_ylim(0, 100)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=4);

# %%
fig, axes = subplots(1, 3, sharey=False)
for ax, name in zip(axes, ["D1", "D2", "D3"]):
    sns.lineplot(curves[curves.data == name], x="epoch", y="test_acc", hue="model", hue_order=MODELS,
                 errorbar="sd", ax=ax, legend=name == "D3")
    ax.set(title=name, ylabel="test accuracy (%)" if name == "D1" else "")
axes[-1].legend(fontsize=7);

# %% [markdown]
# **Convergence.** Each recipe's schedule ends with a small learning rate, which flattens every curve at
# its end, whether the model has learnt all it can or not. So we check convergence directly (control S2):
# the hybrid is trained again on D3, the hardest data set, with the first seed and twice as many epochs; its
# final test accuracy must move by at most 5 pp. The quick profile checks the hybrid only, to stay within its
# time budget: it is the model whose under-training would flatter the classical CNN and so bias C1, C2 and
# C4 against the paper. The full profile checks its twin and the classical CNN too.

# %%
long_rows = []
with lib.runinfo.threads(1):
    d = data[seeds[0]]["D3"]
    for m in tqdm(sizes.long_models, desc=f"{2 * epochs}-epoch runs"):
        torch.manual_seed(seeds[0])
        model = build(m, d["classes"])
        long_acc = 100 * train(model, d, RECIPE[m], 2 * epochs, seeds[0])[-1]
        short_acc = float(runs.query("seed == @seeds[0] and data == 'D3' and model == @m").test_acc.iloc[0])
        long_rows.append({"model": m, f"{epochs} epochs": short_acc, f"{2 * epochs} epochs": long_acc,
                          "change (pp)": long_acc - short_acc})
longer = pd.DataFrame(long_rows).set_index("model")
max_change = float(longer["change (pp)"].abs().max())
display(longer.round(2))

# %% [markdown]
# The margins, paired image by image (same seed, same split, same test image), in percentage points, with
# 95 % bootstrap intervals over the test images of all seeds:

# %%
def item_margin(a, b, name, correct_of=None):
    """Per test image of every seed: correct(a) − correct(b), in pp (100, 0 or −100)."""
    correct_of = correct_of or right
    return 100 * np.concatenate([correct_of[s, name, a].astype(float) - right[s, name, b] for s in seeds])


def margin(a, b, name, correct_of=None):
    return stats.bootstrap(item_margin(a, b, name, correct_of), seed=seed,
                           what=f"test images ({len(seeds)} seeds pooled)")


def margin_growth(a, b, harder, easier, correct_of=None):
    """margin(harder) − margin(easier), 95% percentile bootstrap. D2's test images are D1's, corrupted: that pair
    is resampled image by image together; D3's test set is its own, so it is resampled independently."""
    x, y = item_margin(a, b, harder, correct_of), item_margin(a, b, easier, correct_of)
    if {harder, easier} == {"D1", "D2"}:
        return stats.paired_bootstrap([x, y], lambda u, v: u.mean() - v.mean(), seed=seed,
                                      what=f"test images ({len(seeds)} seeds pooled), D1 and D2 paired")
    gen = np.random.default_rng(seed)
    boots = [gen.choice(x, x.size).mean() - gen.choice(y, y.size).mean() for _ in range(2000)]
    lo, hi = np.percentile(boots, [2.5, 97.5])
    value = float(x.mean() - y.mean())
    return Estimate(value, min(lo, value), max(hi, value), "95% bootstrap, test images of each data set resampled")


margin_table = pd.DataFrame({f"{a} − {b}": {name: margin(a, b, name).text(3) for name in ["D1", "D2", "D3"]}
                             for a, b in [("hybrid", "classical"), ("hybrid", "twin"), ("twin", "classical")]
                             + ([("hybrid", "classical-same-recipe")] if sizes.same_recipe else [])})
display(margin_table)

# %% [markdown]
# **The falsifier of C1**: the trained hybrid with its circuit's four outputs replaced by their mean over the
# training images, so that nothing the circuit computes reaches the head. It must lose every comparison.

# %%
class Constant(nn.Module):
    """Outputs a fixed vector for every input: the mean of a layer's output (mean ablation)."""
    def __init__(self, value):
        super().__init__()
        self.register_buffer("value", value)

    def forward(self, x):
        return self.value + 0 * x[:, :1]  # keeps the input in the graph: attacks get a zero gradient, not an error


def mean_ablated(model, x_train):
    """A copy-free view of the hybrid with its circuit replaced by its mean output over x_train (eval mode)."""
    layers = list(model.eval())
    with torch.no_grad():
        mean = nn.Sequential(*layers[:-1])(x_train.to(torch_device)).mean(0)
    return nn.Sequential(*layers[:-2], Constant(mean), layers[-1]).eval()


ablated, right_ablated = {}, {}
with lib.runinfo.threads(1):
    for s in seeds:
        for name in ["D1", "D2", "D3"]:
            d = data[s][name]
            ablated[s, name] = mean_ablated(trained[s, name, "hybrid"], d["x_train"])
            right_ablated[s, name, "hybrid"] = correct(ablated[s, name], d["x_test"], d["y_test"]).numpy()
print("mean-ablated hybrid, test accuracy (%): " + ", ".join(
    f"{name} {100 * np.mean([right_ablated[s, name, 'hybrid'].mean() for s in seeds]):.1f}" for name in ["D1", "D2", "D3"]))

# %% [markdown]
# ### The PennyLane simulator computes the same model
#
# The trained hybrid of the first seed on D2, with its circuit evaluated by PennyLane's `default.qubit`
# instead of our torch statevector: the two outputs and the predictions must agree.

# %%
with lib.runinfo.threads(1), torch.no_grad():
    model = trained[seeds[0], "D2", "hybrid"].eval()
    x_check = data[seeds[0]]["D2"]["x_test"].to(torch_device)
    reference = model(x_check)
    pqc = model[-2]
    pl_layer = QuantumLayer(n_qubits, n_layers, embedding, backend="default.qubit").to(torch_device)
    pl_layer.load_state_dict(pqc.state_dict())
    model[-2] = pl_layer
    via_pennylane = model(x_check)
    model[-2] = pqc
pennylane_max_diff = (reference - via_pennylane).abs().max().item()
pennylane_same_predictions = bool((reference.argmax(1) == via_pennylane.argmax(1)).all())
print(f"max |logit difference| = {pennylane_max_diff:.2e}; same predictions: {pennylane_same_predictions}")

# %% [markdown]
# ### Training time per epoch and parameters
#
# Fresh models on D1, one thread, timed in `timing_epochs` interleaved rounds: each round trains one epoch of
# every model in turn, so that a slow moment of the shared machine hits all models of a round alike. The
# ratio classical / hybrid is the geometric mean over rounds with its t-interval. The hybrid is timed with
# PennyLane's `default.qubit` and backprop (the paper's simulator), and with our torch statevector. All
# rounds run in one `lib.runinfo.quiet()` block (still one thread): under `repro` every other notebook is
# paused until they end, so no neighbour shares the machine while the clock runs. The
# process's peak memory (`lib.runinfo`) is shown for information only: it is one number for the whole
# notebook and cannot be attributed to one model.

# %%
variants = {"hybrid (default.qubit)": ("hybrid", "default.qubit"), "hybrid (torch)": ("hybrid", "torch"),
            "twin": ("twin", None), "classical": ("classical", None)}
seconds = {label: [] for label in variants}
with lib.runinfo.threads(1):
    d = data[seeds[0]]["D1"]
    runners, timing_params = {}, {}
    for label, (m, pqc_backend) in variants.items():
        torch.manual_seed(seed)
        model = build(m, d["classes"], pqc_backend=pqc_backend)
        timing_params[label] = n_params(model)
        runners[label] = epoch_runner(model, d, RECIPE[m], timing_epochs, seed)
    with lib.runinfo.quiet(n_threads=1):  # the machine to ourselves while the rounds are timed
        for _ in range(timing_epochs):
            for label in variants:
                seconds[label].append(runners[label]())
timing = pd.DataFrame({"params": timing_params, "s_per_epoch (median)": {k: float(np.median(v)) for k, v in seconds.items()}})
display(timing.assign(peak_rss_mib_process=lib.runinfo.peak_memory_mib()).round(4))

# %%
speedup_pennylane = stats.ratio(seconds["classical"], seconds["hybrid (default.qubit)"])
speedup_torch = stats.ratio(seconds["classical"], seconds["hybrid (torch)"])
speedup_twin = stats.ratio(seconds["classical"], seconds["twin"])
params = runs[runs.data == "D1"].groupby("model").params.first()
ours_param_reduction = 100 * (1 - params["hybrid"] / params["classical"])
# The official training logs (output/*OutPut.txt of the paper's repository): (hybrid, classical) parameters.
official_params = {"MNIST": (142_530, 151_754), "CIFAR-100": (1_164_796, 1_710_436), "STL-10": (4_603_298, 1_687_306)}
official_reduction = {k: 100 * (1 - h / c) for k, (h, c) in official_params.items()}
print(f"classical s/epoch over hybrid s/epoch: {speedup_pennylane.text()} (PennyLane), {speedup_torch.text()} (torch), "
      f"{speedup_twin.text()} (twin in place of the hybrid)")
print(f"parameters here: hybrid {params['hybrid']:,} (quantum: {n_layers * n_qubits}), twin {params['twin']:,}, "
      f"classical {params['classical']:,} -> {ours_param_reduction:.1f} % fewer; official logs: "
      + ", ".join(f"{k} {v:.1f} % fewer" for k, v in official_reduction.items()))

# %% [markdown]
# ### Adversarial robustness on D1
#
# The first `n_attack` D1 test images, every model and seed, in pixel units with clipping to [0, 1]. An
# image counts as robust when it is classified correctly before the attack and after every attack we ran.

# %%
def input_grad(model, x, y):
    x = x.clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(x), y)
    return torch.autograd.grad(loss, x)[0]


def fgsm(model, x, y, eps):
    """x' = clip(x + ε sign ∇ₓ L(x, y), 0, 1)."""
    return (x + eps * input_grad(model, x, y).sign()).clamp(0, 1)


def pgd(model, x, y, eps, alpha, steps, restarts, gen):
    """L∞ PGD from random starts; keeps, per image, the first restart that fools the model."""
    best = x.clone()
    fooled = torch.zeros(len(y), dtype=torch.bool)
    for _ in range(restarts):
        start = x + eps * (2 * torch.rand(x.shape, generator=gen) - 1)
        adv = start.clamp(0, 1)
        for _ in range(steps):
            adv = adv + alpha * input_grad(model, adv, y).sign()
            adv = torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 1)  # project: L∞ ball ∩ [0, 1]
        with torch.no_grad():
            now = model(adv).argmax(1) != y
        best[now & ~fooled] = adv[now & ~fooled]
        fooled |= now
    return best


attack_rows, robust = [], {}
with lib.runinfo.threads(1):
    targets = [(s, m, trained[s, "D1", m].eval()) for s in seeds for m in MODELS]
    targets += [(s, "hybrid, circuit ablated", ablated[s, "D1"]) for s in seeds]
    for s, m, model in tqdm(targets, desc="attacks"):
        x, y = data[s]["D1"]["x_test"][:n_attack], data[s]["D1"]["y_test"][:n_attack]
        gen = torch.Generator().manual_seed(s)
        clean = correct(model, x, y)
        for eps in (eps_values if m in MODELS else [EPS_PAPER]):  # the ablated hybrid: only C4's radius
            ok = {"FGSM": correct(model, fgsm(model, x, y, eps), y),
                  "PGD-10": correct(model, pgd(model, x, y, eps, eps / 10, 10, 1, gen), y),
                  "PGD-strong": correct(model, pgd(model, x, y, eps, eps / 4, strong_steps, strong_restarts, gen), y)}
            worst = clean & ok["FGSM"] & ok["PGD-10"] & ok["PGD-strong"]
            robust[s, eps, m] = worst.numpy()
            attack_rows.append(dict(seed=s, model=m, eps=eps, clean=100 * clean.float().mean().item(),
                                    **{k: 100 * v.float().mean().item() for k, v in ok.items()},
                                    robust=100 * worst.float().mean().item()))
attacks = pd.DataFrame(attack_rows)
attacked = MODELS + ["hybrid, circuit ablated"]
display(attacks.groupby(["eps", "model"])[["clean", "FGSM", "PGD-10", "PGD-strong", "robust"]].mean()
        .round(1).unstack("eps").loc[attacked])

# %%
fig, ax = subplots()
sns.lineplot(attacks[attacks.model.isin(MODELS)], x="eps", y="robust", hue="model", hue_order=MODELS, marker="o",
             errorbar="sd", ax=ax)
ax.axvline(EPS_PAPER, color="grey", ls=":", label="the paper's ε")
ax.set(xlabel="ε (pixel units, images in [0, 1])", ylabel="robust accuracy on D1 (%)",
       title="Accuracy under the strongest of FGSM, PGD-10 and the strong PGD");

# %%
def robust_margin(a, b, eps):
    """Paired robust-accuracy difference a − b over the attacked images of all seeds (pp), bootstrapped."""
    diffs = 100 * np.concatenate([robust[s, eps, a].astype(float) - robust[s, eps, b] for s in seeds])
    return stats.bootstrap(diffs, seed=seed, what=f"attacked images ({len(seeds)} seeds pooled)")


robust_gap = robust_margin("hybrid", "classical", EPS_PAPER)
robust_gap_vs_twin = robust_margin("hybrid", "twin", EPS_PAPER)
robust_gap_ablated = robust_margin("hybrid, circuit ablated", "classical", EPS_PAPER)
robust_gap_ablated_vs_twin = robust_margin("hybrid, circuit ablated", "twin", EPS_PAPER)
print(f"ε = {EPS_PAPER}: hybrid − classical {robust_gap.text()} pp, hybrid − twin {robust_gap_vs_twin.text()} pp")
# How much accuracy the paper's PGD-10 overstates, per model, against the worst case of all our attacks.
at = attacks[attacks.eps == EPS_PAPER]
overstated = (at["PGD-10"] - at.robust).groupby(at.model).mean().loc[attacked]
display(overstated.round(1).rename(f"PGD-10 − robust (pp), ε = {EPS_PAPER}").to_frame().T)

# %% [markdown]
# ## Verdict
#
# The criteria were declared above; the cell below only supplies the measurements. A margin's bootstrap
# interval must lie wholly on the criterion's side for a verdict either way; an interval that straddles it
# reads "inconclusive at this scale". Each measured claim's falsifier (a control row under the table) is
# measured the same way and must fail.

# %% tags=["hide-input"]
# NBVAL_CHECK_OUTPUT
claims.measure("C1", {"D2 vs classical": margin("hybrid", "classical", "D2"),
                      "D3 vs classical": margin("hybrid", "classical", "D3"),
                      "D2 vs twin": margin("hybrid", "twin", "D2"), "D3 vs twin": margin("hybrid", "twin", "D3")},
               falsifier={"D2 vs classical": margin("hybrid", "classical", "D2", right_ablated),
                          "D3 vs classical": margin("hybrid", "classical", "D3", right_ablated),
                          "D2 vs twin": margin("hybrid", "twin", "D2", right_ablated),
                          "D3 vs twin": margin("hybrid", "twin", "D3", right_ablated)},
               note=f"test accuracy after {epochs} epochs, paired per test image")
claims.measure("C2", {"D2 − D1 margin": margin_growth("hybrid", "classical", "D2", "D1"),
                      "D3 − D2 margin": margin_growth("hybrid", "classical", "D3", "D2"),
                      "margin on D3": margin("hybrid", "classical", "D3")},
               falsifier={"D2 − D1 margin": margin_growth("twin", "classical", "D2", "D1"),
                          "D3 − D2 margin": margin_growth("twin", "classical", "D3", "D2"),
                          "margin on D3": margin("twin", "classical", "D3")})
claims.measure("C3a", {"classical / hybrid (PennyLane)": speedup_pennylane, "classical / hybrid (torch)": speedup_torch},
               falsifier={"classical / hybrid (PennyLane)": speedup_twin, "classical / hybrid (torch)": speedup_twin})
claims.measure("C3b", official_reduction,
               note=f"our scaled models: hybrid {params['hybrid']:,}, classical {params['classical']:,} parameters "
                    f"({ours_param_reduction:.0f} % fewer), a consequence of the widths we chose")
claims.measure("C4", {"hybrid − classical": robust_gap, "hybrid − twin": robust_gap_vs_twin},
               falsifier={"hybrid − classical": robust_gap_ablated, "hybrid − twin": robust_gap_ablated_vs_twin},
               note=f"robust = correct under FGSM, PGD-10 and PGD-{strong_steps}x{strong_restarts}; pixel units, "
                    "clipped to [0, 1]")
claims.context("C5", "one peak memory for the whole process (the timing table), not one per model")
claims.measure("S1", {"max |logit difference|": pennylane_max_diff, "same predictions": pennylane_same_predictions})
claims.measure("S2", max_change)
claims.show()

# %% tags=["remove-cell"]
hc = {name: margin("hybrid", "classical", name).value for name in ["D1", "D2", "D3"]}
ht = {name: margin("hybrid", "twin", name).value for name in ["D1", "D2", "D3"]}
for name in ["D1", "D2", "D3"]:
    glue(f"hc_{name}", -hc[name], display=False)  # the hybrid's deficit, a positive number of pp
    glue(f"ht_{name}", ht[name], display=False)
glue("epochs", epochs, display=False)
glue("speedup_pennylane", speedup_pennylane.value, display=False)
glue("speedup_torch", speedup_torch.value, display=False)
glue("ours_param_reduction", ours_param_reduction, display=False)
glue("stl_more", official_params["STL-10"][0] / official_params["STL-10"][1], display=False)
glue("red_mnist", official_reduction["MNIST"], display=False)
glue("red_cifar", official_reduction["CIFAR-100"], display=False)
glue("robust_deficit", -robust_gap.value, display=False)
glue("robust_gap_twin", robust_gap_vs_twin.value, display=False)
glue("overstated_max", float(overstated.loc[MODELS].max()), display=False)
glue("overstated_min", float(overstated.loc[MODELS].min()), display=False)

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Data | MNIST (28x28), CIFAR-100, STL-10 | 8x8: digits (D1), noisy shifted digits (D2), 20-class noisy gratings (D3), 1,347 / 1,350 training images |
# | Models | trunks of 16-32 (hybrid) and 32-64 channels (classical) on MNIST, up to 256/512 on STL-10 | trunks of 8-16 (hybrid, twin) and 16-32 channels (classical) |
# | Quantum layer | 4 qubits, amplitude embedding, 2 BasicEntangler layers, PennyLane `default.qubit` | the same circuit (`n_qubits`, `n_layers`, `embedding` are parameters); trained on an exact torch statevector, checked against and timed with `default.qubit` |
# | Training | 50 epochs, 80/20 split, validation accuracy, affine/crop augmentation | 20 epochs (quick, with a convergence check of the hybrid), the paper's 50 (full, all three models checked); 75/25 split, test accuracy after the last epoch, no augmentation; 2-3 seeds |
# | Controls | none | classical twin (PQC → Linear+tanh); the classical CNN with the hybrid's recipe (full profile); the hybrid with its circuit mean-ablated |
# | Attack | torchattacks PGD, ε = 0.1 in normalised units (≈ 0.03 in pixels), 10 steps | FGSM, PGD-10 and a strong PGD (20 steps x 2 restarts quick, 50 x 3 full), ε in pixel units, including 0.03 and 0.1; 100 test images (quick), 450 (full) |
# | Hardware | not stated (GPU or CPU) | 2 shared CPU cores, one thread per model |

# %% [markdown]
# ## Discussion
#
# **What the controls say.** The quantum layer maps a 16-dimensional probability vector to four numbers in
# [-1, 1] through a fixed family of 16x16 unitaries with 8 parameters. The twin replaces it with a
# 68-parameter linear map and a tanh, and keeps everything else: trunk, softmax bottleneck, head and
# recipe. The hybrid's margin over the classical CNN is what the paper reports; its margin over the twin
# is what the circuit itself contributes. After {glue:text}`epochs` epochs (control S2 checks that twice as
# many change little), the hybrid trails the wider classical CNN by {glue:text}`hc_D1:.1f`,
# {glue:text}`hc_D2:.1f` and {glue:text}`hc_D3:.1f` pp on D1, D2 and D3: the deficit grows with the
# difficulty of the data, the paper's ordering with the opposite sign (C2's table gives the interval of
# each step). Against its twin the hybrid's margins are {glue:text}`ht_D2:+.1f` and
# {glue:text}`ht_D3:+.1f` pp on D2 and D3, with intervals around zero: the circuit does about as well as a
# small linear map, no better. Both pass everything through four numbers behind a softmax, which costs
# most on D3 with its 20 classes. With the circuit's output replaced by its mean (C1's falsifier) the
# hybrid falls to chance, so the circuit does carry the information; it just carries no more of it than
# the twin's linear map.
#
# **Speed and size.** Simulating a circuit adds time; it never removes any. Per epoch the classical CNN
# takes {glue:text}`speedup_pennylane:.2f` times as long as the hybrid simulated by PennyLane, and
# {glue:text}`speedup_torch:.2f` times as long as the hybrid on our torch statevector; the twin, the same
# narrow trunk without a circuit, trains about as fast as the classical CNN. The paper's speed-up must
# then come from how the two arms were run, not from the quantum layer (its own log shows the classical
# arm's epoch time growing from about 28 s to 108 s over the run). The parameter counts of the official
# logs give {glue:text}`red_mnist:.0f` % fewer (MNIST) and {glue:text}`red_cifar:.0f` % fewer (CIFAR-100), the two
# ends of the paper's range, but on STL-10
# the hybrid has {glue:text}`stl_more:.1f` times the classical model's parameters. Our scaled hybrid has
# {glue:text}`ours_param_reduction:.0f` % fewer parameters than our classical CNN, a consequence of the
# widths we chose, not evidence either way.
#
# **Robustness.** Attacks run in the models' own input range, pixels in [0, 1], and every adversarial image
# stays in that range. The paper's PGD clamps normalised inputs to [0, 1], which also cuts the negative
# background of a normalised MNIST image, so its robust accuracies mix the perturbation with a clipping
# artefact. At the paper's ε (0.03 in pixels) the hybrid keeps {glue:text}`robust_deficit:.1f` pp less
# robust accuracy than the classical CNN, and {glue:text}`robust_gap_twin:+.1f` pp against its twin (an
# interval around zero): the opposite of the paper's lead of some 35 points. A softmax before the amplitude embedding and a 4-number bottleneck can flatten
# gradients and make a weak attack look like robustness; the strong PGD guards against that. At this ε the
# paper's PGD-10 overstates robust accuracy by between {glue:text}`overstated_min:.1f` and
# {glue:text}`overstated_max:.1f` pp depending on the model (the table of PGD-10 − robust).
#
# **Our criteria and the paper.** Our research notes planned 60/20/20 splits with a best-validation
# checkpoint; we train for a fixed number of epochs and report the last epoch's test accuracy instead,
# which needs no validation set and selects nothing. The notes also planned the simulator in a separate
# `lib.qc` module; here it lives in `lib.quantum.hybrid`.

# %% [markdown]
# ## Exercises
#
# 1. Train for the paper's 50 epochs: `repro run hybrid-qnn-image-classification -p epochs=50`. Does the
#    gap between the hybrid and its twin change sign on D2 and D3? Does the classical CNN's lead shrink?
# 2. Swap the amplitude embedding for Hadamards and RY angles on 4 inputs:
#    `repro run hybrid-qnn-image-classification -p embedding=angle`. The softmax is gone from the hybrid
#    and the twin. What happens to robust accuracy at ε = 0.1, and to the gap between PGD-10 and the strong PGD?
# 3. Give the circuit more room: `repro run hybrid-qnn-image-classification -p n_qubits=6 -p n_layers=4`.
#    The amplitude embedding now reads 64 numbers and the twin gets Linear(64, 6). Which of the two gains
#    more accuracy, and how does the time per epoch of the PennyLane hybrid grow with the qubit count?

# %%
lib.runinfo.run_summary()
