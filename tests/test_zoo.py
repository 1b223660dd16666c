"""lib.llm.zoo: deterministic training, the on-disk cache and its lock, cards; the repro hook and command."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from lib.data import CHARSET, task_suite
from lib.llm import model as llm
from lib.llm import zoo, zoo_build
from lib.repro import cli, execute
from lib.repro.notebooks import ROOT, Notebook

TINY = zoo.ZooSpec("tiny-test", "tasks", n_layers=1, d_model=32, n_heads=2, context=32, batch=4, steps=6,
                   warmup=2, train_tasks=30, eval_tasks=4, eval_steps=(1,), train_steps=(1,))


@pytest.fixture
def zoo_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_ZOO_DIR", str(tmp_path / "zoo"))
    return tmp_path / "zoo"


def test_tokenizer_round_trips_the_charset_and_maps_the_rest():
    tok = zoo.CharTokenizer()
    assert tok.vocab_size == len(CHARSET) == 96 and tok.decode(tok.encode(CHARSET)) == CHARSET
    assert tok.decode(tok.encode("naïve\tx")) == "naive    x" and tok.stop_id == tok.encode("\n")[0]
    assert tok.decode([1000, tok.encode("a")[0]]) == "a"


def test_answer_mask_marks_answers_and_newlines_only():
    tasks = task_suite("arithmetic", 3, steps=1)
    text = zoo.task_lines(tasks)
    marked = "".join(ch for ch, m in zip(text, zoo.answer_mask(text)) if m)
    assert marked == "".join(f"{t.answer}\n" for t in tasks)


def test_learning_rate_warms_up_then_decays_to_a_tenth():
    spec = zoo.ZooSpec("x", "text", lr=1.0, warmup=10, steps=110)
    rates = [zoo.learning_rate(spec, s) for s in range(110)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0) and rates[10] == pytest.approx(1.0)
    assert np.all(np.diff(rates[10:]) <= 0) and zoo.learning_rate(spec, 110) == pytest.approx(0.1)


def test_training_is_deterministic_and_the_card_is_measured():
    a, card_a = zoo.train(TINY)
    b, card_b = zoo.train(TINY)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    for key in ("val_perplexity", "val_next_token_accuracy", "task_accuracy"):
        assert card_a[key] == card_b[key]
    c, _ = zoo.train(TINY.__class__(**{**TINY.__dict__, "seed": 1}))
    assert not torch.equal(a.embed.weight, c.embed.weight)
    # the card's perplexity is exp(mean cross-entropy) over the held-out answers, recomputed here
    tok = zoo.CharTokenizer()
    _, val_text = zoo.task_streams(TINY)
    ids, mask = torch.tensor(tok.encode(val_text)), torch.from_numpy(zoo.answer_mask(val_text))
    with torch.no_grad():
        nll = []
        for start in range(0, len(ids) - 1, TINY.context):
            w, m = ids[start:start + TINY.context + 1], mask[start + 1:start + TINY.context + 1]
            logp = torch.log_softmax(a(w[None, :-1])[0], dim=-1)
            nll += [-logp[i, w[i + 1]].item() for i in range(len(w) - 1) if m[i]]
    assert card_a["val_perplexity"] == pytest.approx(math.exp(np.mean(nll)), abs=1e-3)
    assert card_a["val_tokens"] == len(nll) == mask.sum()
    assert set(card_a["task_accuracy"]) == {"modular/1", "arithmetic/1", "program/1"}
    assert card_a["train_tokens"] == 6 * 4 * 32


def test_greedy_accuracy_checks_answers_with_check_answer():
    tok = zoo.CharTokenizer()
    tasks = task_suite("modular", 6, steps=1)
    model = llm.TinyGPT(llm.GPTConfig(vocab_size=96, n_layers=1, d_model=32, n_heads=2), seed=0)
    acc = zoo.greedy_accuracy(model, tok, tasks)
    # an untrained model's greedy answers, checked one by one here
    expected = np.mean([tok.decode(llm.generate(model, tok.encode(t.prompt), 8, temperature=0,
                                                stop_id=tok.stop_id).tokens).lstrip(" ").split("\n")[0].split()[:1]
                        == [t.answer] for t in tasks])
    assert acc == expected


def test_build_caches_and_a_warm_load_does_not_retrain(zoo_dir, monkeypatch):
    first = zoo.load(TINY)
    assert first.path.parent == zoo_dir.resolve() and first.path.name.startswith("tiny-test-")
    assert json.loads((first.path / "card.json").read_text())["parameters"] == sum(
        p.numel() for p in first.model.parameters())

    def no_training(*a, **k):
        raise AssertionError("a cached model must not be retrained")

    monkeypatch.setattr(zoo, "train", no_training)  # what makes a warm load fast; a wall-clock bound would flake
    again = zoo.load(TINY)
    assert not again.model.training
    assert all(torch.equal(p, q) for p, q in zip(first.model.parameters(), again.model.parameters()))
    assert [p.name for p in zoo_dir.iterdir() if ".tmp-" in p.name] == []  # no temporary folder left


def test_cache_key_follows_spec_and_data():
    other = TINY.__class__(**{**TINY.__dict__, "steps": 7})
    assert zoo.cache_key(TINY) == zoo.cache_key(TINY) != zoo.cache_key(other)
    text = zoo.ZooSpec("t", "text")
    assert zoo.data_fingerprint(text) != zoo.data_fingerprint(TINY)


CONCURRENT = """
import sys
from lib.llm import zoo
from tests.test_zoo import TINY
real = zoo.train
def counted(spec, log=None):
    with open(sys.argv[1], "a") as f:
        f.write("trained\\n")
    return real(spec, log)
zoo.train = counted
print(zoo.load(TINY).path)
"""


@pytest.mark.slow  # two training processes
def test_two_processes_starting_at_once_train_once(zoo_dir, tmp_path):
    counter = tmp_path / "count.txt"
    env = {**__import__("os").environ, "REPRO_ZOO_DIR": str(zoo_dir), "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(counter)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    paths = {p.communicate(timeout=300)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs) and len(paths) == 1
    assert counter.read_text().count("trained") == 1


def test_the_hook_trains_only_the_models_that_notebooks_about_to_run_name(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(zoo_build, "prebuild", lambda names=None, n_jobs=2, echo=print: calls.append((names, n_jobs)) or [])

    def job(code):
        path = tmp_path / "notebooks" / "demo" / f"nb{len(list(tmp_path.rglob('*.py')))}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# %% tags=[\"parameters\"]\nseed = 0  # seed\n# %%\n{code}\n")
        return execute.Job(Notebook(path), {}, "quick", tmp_path / "_build")

    plain = job("from lib import claims")
    user = job("from lib.llm import zoo\nm = zoo.load('task-tiny')")
    every = job("from lib.llm import zoo\ncards = [zoo.load(n) for n in zoo.DEFAULTS]")
    execute.prepare_prerequisites([plain], 2, echo=lambda *_: None)
    assert calls == []
    execute.prepare_prerequisites([plain, user], 3, echo=lambda *_: None)
    assert calls == [(["task-tiny"], 3)]
    execute.prepare_prerequisites([every], 1, echo=lambda *_: None)
    assert calls[-1] == (list(zoo.DEFAULTS), 1)


def test_repro_zoo_lists_untrained_models_and_rejects_unknown_names(zoo_dir, capsys):
    assert cli.main(["zoo", "list"]) == 0
    out = capsys.readouterr().out
    assert all(f"{name}: not trained yet" in out for name in zoo.DEFAULTS)
    assert cli.main(["zoo", "build", "no-such-model"]) == 2


def test_default_specs_fit_the_training_budget():
    """Each default model is sized for ~2 minutes on one idle core: measured at load ~1, a training step
    costs ~0.05 ms per token and layer (0.42 s for 16 x 128 tokens through 4 layers), so steps x layers x
    tokens per step must stay under 2.5 M (about 120 s)."""
    for spec in zoo.DEFAULTS.values():
        assert spec.steps * spec.n_layers * spec.batch * spec.context <= 2.5e6
        assert zoo.spec_of(spec.name) is spec
    with pytest.raises(KeyError):
        zoo.spec_of("gpt-5")
