"""lib.data: the digits split is deterministic, stratified, float32 in [0, 1]."""
import numpy as np

from lib.data import digits


def test_digits_shapes_types_and_range():
    split = digits()
    assert split.x_train.shape[1:] == (8, 8) and split.x_test.shape[1:] == (8, 8)
    assert len(split.x_train) + len(split.x_test) == 1797
    assert len(split.x_test) == 450  # ceil(0.25 * 1797)
    assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int64
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    assert len(split.y_train) == len(split.x_train) and len(split.y_test) == len(split.x_test)


def test_digits_is_deterministic_per_seed():
    a, b, c = digits(seed=3), digits(seed=3), digits(seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a.y_test, c.y_test)


def test_digits_split_is_stratified():
    split = digits(test_fraction=0.2)
    train_share = np.bincount(split.y_train) / len(split.y_train)
    test_share = np.bincount(split.y_test) / len(split.y_test)
    assert np.all(np.abs(train_share - test_share) < 0.01)


# ---------------------------------------------------------------- text corpus and task suites
import contextlib
import io

import pytest

from lib.data import (CHARSET, TASK_KINDS, Task, check_answer, corpus_sources, first_word, normalise_text, task_suite,
                      text_corpus)


def test_normalise_text_maps_onto_the_fixed_charset():
    assert normalise_text("café\tx  \r\n\n\n\nend—") == "cafe    x\n\nend"
    assert set(normalise_text("".join(map(chr, range(0, 0x3000, 7))))) <= set(CHARSET)


def test_text_corpus_domains_are_deterministic_and_in_charset():
    a, b = text_corpus(), text_corpus()
    assert a == b and list(a) == ["reference", "stdlib-docstrings"]
    assert len(a["reference"]) > 300_000 and len(a["stdlib-docstrings"]) > 100_000
    assert all(set(text) <= set(CHARSET) for text in a.values())
    assert "lambda" in a["reference"] and all(p.is_file() for p in corpus_sources())


def program_output(source: str) -> str:
    """What Python itself prints for a generated program (an independent evaluator for the 'program' kind)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, {"__builtins__": {"print": print}})
    return out.getvalue().strip()


def python_answer(task: Task) -> str:
    if task.kind == "program":
        return program_output(task.source)
    return str(eval(task.source, {"__builtins__": {}}))  # the generated expression, evaluated by Python


@pytest.mark.parametrize("kind", list(TASK_KINDS))
@pytest.mark.parametrize("steps", [0, 1, 3, 5])
def test_task_answers_agree_with_python(kind, steps):
    tasks = task_suite(kind, 60, seed=1, steps=steps)
    for task in tasks:
        assert task.prompt.endswith(" =") and task.kind == kind and task.steps == steps
        assert python_answer(task) == task.answer, task
        assert set(task.prompt) <= set(CHARSET)
        if kind != "program":  # the prompt shows the same expression Python evaluated
            shown = task.prompt[:-2].replace(" mod ", " % ")
            assert str(eval(shown, {"__builtins__": {}})) == task.answer


def test_task_suite_is_deterministic_and_difficulty_changes_the_tasks():
    assert task_suite("modular", 20, seed=3) == task_suite("modular", 20, seed=3)
    assert task_suite("modular", 20, seed=3) != task_suite("modular", 20, seed=4)
    one, four = task_suite("arithmetic", 50, steps=1), task_suite("arithmetic", 50, steps=4)
    count = lambda ts: sum(sum(t.source.count(op) for op in "+-*") for t in ts)
    assert count(one) == 50 and count(four) == 200  # exactly `steps` operators per expression
    assert len({t.prompt for t in task_suite("program", 100, steps=3)}) > 90
    with pytest.raises(ValueError):
        task_suite("poetry", 3)


def test_check_answer_reads_the_first_word_only():
    task = Task("2+2 =", "4")
    assert check_answer(task, " 4\n2+3 = 5") and check_answer(task, "4") and check_answer(task, " 4 is it")
    assert not check_answer(task, " 42") and not check_answer(task, "") and not check_answer(task, "\n4")
    assert check_answer(Task("1-3 =", "-2"), " -2\n") and not check_answer(Task("1-3 =", "-2"), " 2")


def test_first_word_matches_a_regular_expression_reference():
    import re

    def reference(reply):  # blanks other than a newline, then the word: what check_answer compares
        match = re.match(r"[^\S\n]*(\S+)", reply)
        return match.group(1) if match else None

    replies = [" 4\n2+3 = 5", "4", " 42 is it", "", "   ", "\n4", " \n4", " -2\n", "\t7 x", "  \r9", "a\tb"]
    assert [first_word(r) for r in replies] == [reference(r) for r in replies]
    assert [first_word(r) for r in replies[:4]] == ["4", "4", "42", None]
