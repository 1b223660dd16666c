"""Building and listing the zoo's models: the ``repro`` prerequisite hook, ``repro zoo``, and the model-zoo page.

Registered in ``pyproject.toml`` as the ``repro.prerequisites`` provider of :mod:`lib.llm.zoo` (see
:mod:`lib.repro.hooks`): before notebooks that import the zoo run, :func:`prepare` trains the models they
name, in parallel. Nothing here is part of the training recipe, so editing this file retrains nothing.

Trainers end with ``repro``: each runs in a process group of its own, dies with its parent (even when
``repro`` is killed with ``kill -9``) and removes its temporary folder on the way out; an interrupted build
stops them, and the next build removes the folders of trainers that did not get to (``.tmp-<pid>``).

    repro zoo build [NAME ...] [--jobs N]   # train what is missing (in parallel), then print the cards
    repro zoo list [NAME ...]               # the cards, or where an untrained model would go
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from lib.llm import zoo
from lib.proc import stop_group
from lib.llm.cards import summary

#: The generated page of the book that shows the cards.
PAGE = "book/models"
PR_SET_PDEATHSIG = 1  # a prctl(2) option, <linux/prctl.h>


def named_models(source: str) -> list[str]:
    """The default models a notebook's source names (``"text-small"``...); all of them if it names none."""
    named = [name for name in zoo.DEFAULTS if f'"{name}"' in source or f"'{name}'" in source]
    return named or list(zoo.DEFAULTS)


def abandoned_folders() -> list:
    """Temporary folders (``<model>.tmp-<pid>``) of trainers that no longer run (killed, or their machine
    rebooted): nothing else ever removes them."""
    found = []
    for folder in sorted(zoo.zoo_dir().glob("*.tmp-*")) if zoo.zoo_dir().is_dir() else []:
        try:
            os.kill(int(folder.name.rsplit("-", 1)[1]), 0)
        except (ValueError, ProcessLookupError):
            found.append(folder)
        except PermissionError:  # another user's live process
            pass
    return found


def start_trainer(name: str, env: dict) -> subprocess.Popen:
    """``build-one NAME`` in a process group of its own, told who its parent is (see :func:`die_with_parent`)."""
    return subprocess.Popen([sys.executable, "-m", "lib.llm.zoo_build", "build-one", name, "--parent",
                             str(os.getpid())], cwd=zoo.ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def prebuild(names=None, n_jobs: int = 2, echo=print) -> list[str]:
    """Train the missing default models (or ``names``) in parallel, one process per model with one thread
    each, at most ``n_jobs`` at once; a progress line per model. Returns the names that failed. If this is
    interrupted, the trainers are stopped."""
    for folder in abandoned_folders():
        shutil.rmtree(folder, ignore_errors=True)
    todo = zoo.missing(names)
    if not todo:
        return []
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    running, failed = {}, []
    echo(f"  zoo: training {len(todo)} model(s) first: {', '.join(todo)}")
    try:
        while todo or running:
            while todo and len(running) < max(1, n_jobs):
                name = todo.pop(0)
                running[name] = (start_trainer(name, env), time.monotonic())
                echo(f"  zoo: {name}: training")
            time.sleep(0.5)
            for name, (proc, t0) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[name]
                out = proc.stdout.read().strip().splitlines()
                if proc.returncode == 0:
                    echo(f"  zoo: {name}: done in {time.monotonic() - t0:.0f} s ({out[-1] if out else ''})")
                else:
                    failed.append(name)
                    echo(f"  zoo: {name}: FAILED: {out[-1] if out else 'no output'}")
    finally:
        for proc, _ in running.values():
            stop_group(proc)  # SIGTERM: the trainer removes its temporary folder
    return failed


def prepare(sources: list[str], n_jobs: int, echo) -> list[str]:
    """The ``repro`` hook: train the models these notebooks name, before any of them starts."""
    names = sorted({name for source in sources for name in named_models(source)}, key=list(zoo.DEFAULTS).index)
    return prebuild(names, n_jobs=n_jobs, echo=echo)


# ------------------------------------------------------------------------------------------ the page
def md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def card_rows(card: dict) -> list[tuple[str, str]]:
    """The (label, value) rows of one model's card on the page."""
    spec = card["spec"]
    data = ("the text of Python's own documentation (`lib.data.text_corpus`)" if spec["data"] == "text"
            else "generated task suites with checkable answers (`lib.data.task_suite`: "
                 + ", ".join(spec["task_kinds"]) + "), the loss on the answers only")
    arch = (f"{spec['n_layers']} layers, d_model {spec['d_model']}, {spec['n_heads']} heads"
            + (f" ({spec['n_kv_heads']} KV heads)" if spec.get("n_kv_heads") else "")
            + (f", {spec['n_experts']} experts" if spec.get("n_experts") else "")
            + f", context {spec['context']}")
    rows = [("Trained on", data), ("Architecture", f"{arch}; {card['parameters']:,} parameters"),
            ("Training", f"{spec['steps']} AdamW steps of {spec['batch']} × {spec['context']} tokens, "
                         f"seed {spec['seed']}; {card.get('train_seconds', float('nan')):.0f} s on "
                         f"{card.get('cpu', '?')} (load {card.get('load_average_at_end', '?')})"),
            ("Validation perplexity", f"{card['val_perplexity']:.3f} per character "
                                      f"({card.get('val_scored', 'all characters')})"),
            ("Next-token accuracy", f"{card['val_next_token_accuracy']:.3f}")]
    return rows + [(f"Greedy task accuracy, {k}", f"{v:.2f}") for k, v in card.get("task_accuracy", {}).items()]


def page(users: list[tuple[str, str, str]]) -> str:
    """The model-zoo page: what the "LLM" of the LLM notebooks is, and how good it is, from the cards of the
    trained models (none is trained here). ``users``: (docname, title, source) of each notebook that
    imports the zoo; a model is listed as used by those whose source names it."""
    lines = ["# The model zoo", "",
             "No model weights can be downloaded here, so the LLM notebooks use small transformers that the "
             "book trains itself (`lib.llm.zoo`, `lib.llm.model.TinyGPT`): character-level, trained "
             "deterministically (fixed seeds, one thread) on first use, and cached under `_build/zoo/` by a key "
             "of their configuration, their data and the code that trains them. The numbers below are measured "
             "on held-out data when the model was trained; they are what a reader should keep in mind when a "
             "notebook says \"perplexity\" or \"accuracy\": these models are tiny, and their absolute quality "
             "is far from a real LLM's. The notebooks compare methods *on the same model*.", ""]
    for name, spec in zoo.DEFAULTS.items():
        lines += [f"## `{name}`", ""]
        path = zoo.model_dir(spec) / "card.json"
        if not path.is_file():
            lines += [f"*Not trained yet in this build:* `repro zoo build {name}` trains it.", ""]
            continue
        card = json.loads(path.read_text())
        lines += ["| | |", "|---|---|", *[f"| {a} | {md_escape(b)} |" for a, b in card_rows(card)], ""]
        used = [(doc, title) for doc, title, source in users if f'"{name}"' in source]
        if used:
            lines += ["Used by: " + ", ".join(f"[{t}](/{d}.ipynb)" for d, t in used) + ".", ""]
        lines += [f"Cache key `{card['key']}`, torch {card.get('torch', '?')}.", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- command
def die_with_parent(parent: int):
    """End this trainer when its parent (``repro``) dies, even by ``kill -9`` (Linux's parent-death signal),
    or when it is told to stop (SIGTERM): as a clean exit, so that :func:`lib.llm.zoo.build` removes its
    temporary folder."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request above took effect
        sys.exit(143)


def build_one(name: str) -> int:
    """Train one model in this process (what :func:`prebuild` starts) and print its card's summary."""
    print(summary(zoo.load(name, log=lambda line: print(line, flush=True)).card), flush=True)
    return 0


def main(argv=None) -> int:
    """``repro zoo [list|build] [NAME ...] [--jobs N]`` (registered under ``repro.commands``): ``build``
    trains what is missing, ``jobs`` models at a time; both then print the cards."""
    import argparse

    parser = argparse.ArgumentParser(prog="repro zoo", description="the book's own tiny language models")
    parser.add_argument("action", nargs="?", choices=("list", "build", "build-one"), default="list")
    parser.add_argument("names", nargs="*", help="model names (default: all default models)")
    parser.add_argument("--jobs", type=int, default=2, help="models trained at once (default 2)")
    parser.add_argument("--parent", type=int, help=argparse.SUPPRESS)  # build-one: the process it dies with
    args = parser.parse_args(argv)
    names = args.names or list(zoo.DEFAULTS)
    unknown = [n for n in names if n not in zoo.DEFAULTS]
    if unknown:
        print(f"repro: error: no zoo model named {', '.join(unknown)}; known: {', '.join(zoo.DEFAULTS)}",
              file=sys.stderr)
        return 2
    if args.action == "build-one":
        if args.parent is not None:
            die_with_parent(args.parent)
        return build_one(names[0])
    if args.action == "build" and prebuild(names, n_jobs=args.jobs):
        return 1
    for name in names:
        path = zoo.model_dir(zoo.spec_of(name))
        if zoo.is_built(name):
            print(summary(json.loads((path / "card.json").read_text())) + f"\n    {path}")
        else:
            print(f"{name}: not trained yet (would be {path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
