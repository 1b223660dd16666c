"""The book's own tiny language models: their training recipe and their cache.

    from lib.llm import zoo
    m = zoo.load("task-small")            # ZooModel: .model (TinyGPT, eval mode), .tokenizer, .card
    ids = m.tokenizer.encode("(3+5)*2 mod 7 =")
    zoo.cards()                           # the cards of every default model (training what is missing)

Each model is trained deterministically (fixed seeds, one thread) from text every Python install ships
(:func:`lib.data.text_corpus`) or from generated task suites (:func:`lib.data.task_suite`), and stored in
``zoo/<name>-<key>/`` in the build folder (:func:`zoo_dir`: ``$REPRO_ZOO_DIR``, else the build folder of
``$REPRO_BUILD_DIR`` as ``repro`` uses it, else ``<repo>/_build``), where ``key`` hashes the
model's spec, the source of the modules that build the data and train the model, the data's input files and
the torch version. A model is written into a temporary folder and renamed into place when complete, under
an ``fcntl`` lock, so two processes asking for the same model at once train it only once.
:mod:`lib.llm.zoo_build` trains the models a build needs before its notebooks start, and lists them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lib import data as data_mod
from lib.llm import model as llm
from lib.runinfo import cpu_model, threads

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------- tokenizer
class CharTokenizer:
    """One id per character of :data:`lib.data.CHARSET` (newline, then printable ASCII). A character outside
    the set is mapped by :func:`lib.data.normalise_text` (é -> e, tab -> spaces) or dropped, so any string
    encodes. ``stop_id`` is the newline, which ends a task's answer."""

    def __init__(self, alphabet: str = data_mod.CHARSET):
        self.alphabet = alphabet
        self.index = {ch: i for i, ch in enumerate(alphabet)}
        self.vocab_size = len(alphabet)
        self.stop_id = self.index["\n"]

    def encode(self, text: str) -> list[int]:
        if not set(text) <= self.index.keys():
            text = "".join(ch if ch in self.index else data_mod.normalise_text(ch) for ch in text)
        return [self.index[ch] for ch in text if ch in self.index]

    def decode(self, ids) -> str:
        return "".join(self.alphabet[i] for i in ids if 0 <= i < self.vocab_size)


# -------------------------------------------------------------------------------------- the specs
@dataclass(frozen=True)
class ZooSpec:
    """Everything that decides a zoo model's weights. ``data`` is 'text' (the Python docs corpus) or 'tasks'
    (task suites of ``task_kinds`` with ``train_steps`` operations each, ``train_tasks`` per kind and step
    count; the loss is taken on the answers only). Training: ``steps`` AdamW steps of ``batch`` windows of
    ``context`` tokens, learning rate warmed up linearly for ``warmup`` steps then cosine-decayed to 10 %."""
    name: str
    data: str
    n_layers: int = 4
    d_model: int = 128
    n_heads: int = 4
    n_kv_heads: int | None = None
    n_experts: int = 0
    context: int = 128
    batch: int = 16
    steps: int = 250
    lr: float = 3e-3
    warmup: int = 20
    weight_decay: float = 0.1
    seed: int = 0
    task_kinds: tuple = ("modular", "arithmetic", "program")
    train_steps: tuple = (1, 2)
    train_tasks: int = 4000
    eval_steps: tuple = (1, 2)
    eval_tasks: int = 100
    val_fraction: float = 0.1

    def gpt_config(self, vocab_size: int) -> llm.GPTConfig:
        extra = {"n_experts": self.n_experts} if self.n_experts else {}
        return llm.GPTConfig(vocab_size=vocab_size, n_layers=self.n_layers, d_model=self.d_model,
                             n_heads=self.n_heads, n_kv_heads=self.n_kv_heads, **extra)


#: The default models. Each is sized for about 2 minutes of training on one idle core of the 2-core
#: development machine (Xeon @ 2.5 GHz): a training step costs about 0.05 ms per token and layer there, so
#: steps x layers x batch x context stays under 2.5 M (text-small 2.0 M, task-small 2.5 M). The task model
#: is shallower so that it gets more steps, which these tasks need more than depth. task-tiny is the same
#: recipe at half the width: the "smaller model" of the test-time-scaling comparisons.
DEFAULTS = {
    "text-small": ZooSpec("text-small", "text", n_layers=4, context=128, batch=16, steps=250,
                          eval_steps=(1,), eval_tasks=50),
    "task-small": ZooSpec("task-small", "tasks", n_layers=2, context=48, batch=32, steps=800, warmup=40,
                          train_steps=(0, 1, 2), eval_steps=(0, 1, 2)),
    "task-tiny": ZooSpec("task-tiny", "tasks", n_layers=2, d_model=64, context=48, batch=32, steps=800,
                         warmup=40, train_steps=(0, 1, 2), eval_steps=(0, 1, 2)),
}


@dataclass
class ZooModel:
    name: str
    model: llm.TinyGPT
    tokenizer: CharTokenizer
    card: dict
    path: Path = field(default=None)


# ------------------------------------------------------------------------------------------- data
def text_streams(spec: ZooSpec) -> tuple[str, str]:
    """(train, validation) text: the last ``val_fraction`` of every corpus domain is held out."""
    train, val = [], []
    for text in data_mod.text_corpus().values():
        cut = int(len(text) * (1 - spec.val_fraction))
        train.append(text[:cut])
        val.append(text[cut:])
    return "\n\n".join(train), "\n\n".join(val)


def task_lines(tasks) -> str:
    """Tasks as training text: ``prompt answer`` and a newline each."""
    return "".join(f"{t.prompt} {t.answer}\n" for t in tasks)


def task_streams(spec: ZooSpec) -> tuple[str, str]:
    """(train, validation) task text; the two draw from different seeds, and the evaluation tasks of the
    card from a third, so the model is never scored on a task string it was trained on by construction of
    the seeds (a short task may still recur by chance)."""
    def suite(seed, n):
        tasks = [t for kind in spec.task_kinds for s in spec.train_steps for t in data_mod.task_suite(kind, n, seed, s)]
        order = np.random.default_rng(seed).permutation(len(tasks))
        return task_lines([tasks[i] for i in order])

    return suite(spec.seed + 1, spec.train_tasks), suite(spec.seed + 2, max(1, spec.train_tasks // 10))


def answer_mask(text: str) -> np.ndarray:
    """1 for the characters a task model is trained to predict: the answer after `` = `` and its newline."""
    mask = np.zeros(len(text), dtype=bool)
    start = 0
    for line in text.splitlines(keepends=True):
        cut = line.rfind(" = ")
        if cut >= 0:
            mask[start + cut + 3:start + len(line)] = True
        start += len(line)
    return mask


def evaluation_tasks(spec: ZooSpec) -> dict:
    return {(kind, s): data_mod.task_suite(kind, spec.eval_tasks, spec.seed + 1000, s)
            for kind in spec.task_kinds for s in spec.eval_steps}


# --------------------------------------------------------------------------------------- training
def learning_rate(spec: ZooSpec, step: int) -> float:
    """Linear warmup to ``lr`` over ``warmup`` steps, then a cosine decay to ``lr / 10`` at the last step."""
    if step < spec.warmup:
        return spec.lr * (step + 1) / spec.warmup
    progress = (step - spec.warmup) / max(1, spec.steps - spec.warmup)
    return spec.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def window_starts(text: str, spec: ZooSpec) -> np.ndarray:
    """Where a training window may start: anywhere for prose, at the start of a line for tasks."""
    last = len(text) - spec.context - 1
    if spec.data == "text":
        return np.arange(last)
    starts = np.flatnonzero(np.frombuffer(text.encode(), dtype=np.uint8) == ord("\n")) + 1
    return np.concatenate([[0], starts[starts < last]])


def train(spec: ZooSpec, log=None) -> tuple[llm.TinyGPT, dict]:
    """Train the model of ``spec`` (one thread, fixed seeds) and measure its card."""
    tok = CharTokenizer()
    train_text, val_text = text_streams(spec) if spec.data == "text" else task_streams(spec)
    ids = torch.tensor(tok.encode(train_text), dtype=torch.long)
    if len(ids) != len(train_text):
        raise ValueError("training text is not normalised to the tokenizer's alphabet")
    mask = torch.ones(len(ids), dtype=torch.bool) if spec.data == "text" else torch.from_numpy(answer_mask(train_text))
    starts = torch.from_numpy(window_starts(train_text, spec))
    offsets = torch.arange(spec.context + 1)
    with threads(1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = llm.TinyGPT(spec.gpt_config(tok.vocab_size), seed=spec.seed)
        decay = [p for p in model.parameters() if p.dim() >= 2]
        rest = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": spec.weight_decay},
                                 {"params": rest, "weight_decay": 0.0}], lr=spec.lr, betas=(0.9, 0.95))
        g = torch.Generator().manual_seed(spec.seed)
        model.train()
        load_at_start = os.getloadavg()[0]  # the machine is shared: the training time depends on its load
        t0 = time.perf_counter()
        losses = []
        for step in range(spec.steps):
            pick = starts[torch.randint(len(starts), (spec.batch,), generator=g)]
            rows = pick[:, None] + offsets
            x, y, m = ids[rows[:, :-1]], ids[rows[:, 1:]], mask[rows[:, 1:]]
            logits = model(x)
            loss = F.cross_entropy(logits[m], y[m])
            for group in opt.param_groups:
                group["lr"] = learning_rate(spec, step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
            if log and (step + 1) % max(1, spec.steps // 5) == 0:
                log(f"{spec.name}: step {step + 1}/{spec.steps}, loss {np.mean(losses[-20:]):.3f}, "
                    f"{time.perf_counter() - t0:.0f} s")
        seconds = time.perf_counter() - t0
        model.eval()
        card = measure(model, tok, spec, val_text)
    card.update(train_seconds=round(seconds, 1), load_average_at_start=round(load_at_start, 1),
                load_average_at_end=round(os.getloadavg()[0], 1),
                cpu=cpu_model(), final_train_loss=round(float(np.mean(losses[-20:])), 4),
                train_tokens=spec.steps * spec.batch * spec.context)
    return model, card


def greedy_accuracy(model: llm.TinyGPT, tok: CharTokenizer, tasks, max_new_tokens: int = 6) -> float:
    """Share of ``tasks`` answered right by greedy decoding (prompts of equal length decoded together); the
    6 new characters hold a space, any answer of up to 3 characters (all of them at up to 2 steps) and
    the newline."""
    by_length: dict[int, list] = {}
    for t in tasks:
        by_length.setdefault(len(tok.encode(t.prompt)), []).append(t)
    right = 0
    for group in by_length.values():
        gen = llm.generate(model, [tok.encode(t.prompt) for t in group], max_new_tokens, temperature=0,
                           stop_id=tok.stop_id)
        right += sum(data_mod.check_answer(t, tok.decode(ids)) for t, ids in zip(group, gen.tokens))
    return right / len(tasks)


def measure(model, tok, spec: ZooSpec, val_text: str) -> dict:
    """The card's quality numbers: validation perplexity and next-token accuracy per character (for a task
    model over the answer characters only, the part it is trained to predict), greedy task accuracy per
    kind and number of steps."""
    with threads(1):
        val = tok.encode(val_text)
        mask = None if spec.data == "text" else answer_mask(val_text)
        tasks = evaluation_tasks(spec)
        acc = {f"{kind}/{s}": round(greedy_accuracy(model, tok, ts), 4) for (kind, s), ts in tasks.items()}
        return {"val_perplexity": round(llm.perplexity(model, val, spec.context, mask), 4),
                "val_next_token_accuracy": round(llm.next_token_accuracy(model, val, spec.context, mask), 4),
                "val_scored": "all characters" if mask is None else "answer characters",
                "val_tokens": len(val) if mask is None else int(mask.sum()),
                "task_accuracy": acc}


# ------------------------------------------------------------------------------------------ cache
def zoo_dir() -> Path:
    """Where models are stored: ``$REPRO_ZOO_DIR``, else ``zoo`` in the build folder that ``repro`` uses
    (``$REPRO_BUILD_DIR``, with ``_build`` added unless its name is that; else ``<repo>/_build``), so that a
    build moved elsewhere (a read-only clone) takes its models along."""
    if os.environ.get("REPRO_ZOO_DIR"):
        return Path(os.environ["REPRO_ZOO_DIR"]).resolve()
    build = Path(os.environ.get("REPRO_BUILD_DIR", ROOT / "_build")).resolve()
    return (build if build.name == "_build" else build / "_build") / "zoo"


def data_fingerprint(spec: ZooSpec) -> str:
    """Hash of the installed files the corpus is read from (task data is a function of lib.data's source)."""
    h = hashlib.sha256()
    if spec.data == "text":
        for path in data_mod.corpus_sources():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


#: The training recipe: the modules whose source decides a model's weights (the data, the model, this file).
#: Building and listing models (:mod:`lib.llm.zoo_build`) and loading checkpoints (:mod:`lib.llm.checkpoint`)
#: are kept out of them, so that editing those retrains nothing.
RECIPE_FILES = (Path(data_mod.__file__), Path(llm.__file__), Path(__file__))


def cache_key(spec: ZooSpec, read=Path.read_bytes) -> str:
    """Hash of the spec, the recipe's source (``read`` gives a file's bytes; a test passes an edited view),
    the corpus files and the torch and numpy versions."""
    h = hashlib.sha256()
    h.update(json.dumps(dataclasses.asdict(spec), sort_keys=True).encode())
    for path in RECIPE_FILES:
        h.update(read(path))
    h.update(data_fingerprint(spec).encode() + torch.__version__.encode() + np.__version__.encode())
    return h.hexdigest()[:16]


def model_dir(spec: ZooSpec) -> Path:
    return zoo_dir() / f"{spec.name}-{cache_key(spec)}"


def spec_of(name_or_spec) -> ZooSpec:
    if isinstance(name_or_spec, ZooSpec):
        return name_or_spec
    if name_or_spec not in DEFAULTS:
        raise KeyError(f"no zoo model named {name_or_spec!r}; known: {', '.join(DEFAULTS)}")
    return DEFAULTS[name_or_spec]


def is_built(name_or_spec) -> bool:
    return (model_dir(spec_of(name_or_spec)) / "card.json").is_file()


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build(name_or_spec, log=None) -> Path:
    """The folder of a trained model, training it first if it is not cached (once, under a lock)."""
    spec = spec_of(name_or_spec)
    final = model_dir(spec)
    if (final / "card.json").is_file():
        return final
    with _locked(final.with_name(final.name + ".lock")):
        if (final / "card.json").is_file():  # another process trained it while we waited
            return final
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            model, card = train(spec, log)
            card = {"name": spec.name, "key": final.name.rsplit("-", 1)[1],
                    "parameters": sum(p.numel() for p in model.parameters()),
                    "spec": dataclasses.asdict(spec), "torch": torch.__version__, **card}
            torch.save(model.state_dict(), tmp / "weights.pt")
            (tmp / "card.json").write_text(json.dumps(card, indent=1))
            shutil.rmtree(final, ignore_errors=True)  # a damaged folder without its card
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def load(name_or_spec="text-small", log=None) -> ZooModel:
    """A zoo model ready for inference (eval mode, on the CPU), trained first if it is not cached."""
    spec = spec_of(name_or_spec)
    path = build(spec, log)
    tok = CharTokenizer()
    card = json.loads((path / "card.json").read_text())
    model = llm.TinyGPT(spec.gpt_config(tok.vocab_size), seed=spec.seed)
    model.load_state_dict(torch.load(path / "weights.pt", weights_only=True))
    model.eval()
    return ZooModel(spec.name, model, tok, card, path)


def cards(names=None, log=None) -> dict[str, dict]:
    """The cards of the default models (or ``names``), training any that are missing."""
    return {name: load(name, log).card for name in (names or DEFAULTS)}


def missing(names=None) -> list[str]:
    """Default models (or ``names``) not trained yet."""
    return [name for name in (names or DEFAULTS) if not is_built(name)]
