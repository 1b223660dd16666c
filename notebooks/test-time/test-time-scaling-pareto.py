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
#     arxiv: '2505.20522'
#     authors:
#     - Jian Wang
#     - Boyan Zhu
#     - Chak Tou Leong
#     - Yongqi Li
#     - Wenjie Li
#     links:
#       paper: https://arxiv.org/abs/2505.20522
#     number: 14
#     objectives:
#     - Compute pass@k, majority@k and best-of-k accuracy exactly from one pool of samples,
#       without resampling
#     - Predict how accuracy grows with parallel samples from single-sample success
#       rates, and find the saturation point where more samples stop paying
#     - Test whether a sequential refinement loop behaves like the absorbing Markov
#       chain the saturation model assumes, by measuring its transitions
#     - Read a Pareto front of accuracy against compute and tell an oracle's upper bound
#       from an achievable accuracy
#     part: test-time
#     slug: test-time-scaling-pareto
#     tags:
#     - test-time compute
#     - best-of-N
#     - majority voting
#     - saturation
#     - Pareto front
#     thumbnail: Accuracy against decoding compute for two tiny task models under parallel
#       and sequential test-time scaling, with the Pareto front
#     title: 'Scaling over Scaling: Exploring Test-Time Scaling Pareto in Large Reasoning
#       Models'
#     venue: arXiv preprint
#     year: 2025
# ---

# %% [markdown]
# # Scaling over scaling: where test-time compute saturates
#
# Reasoning models can spend more compute at inference in two ways: draw many answers side by side and pick
# one (parallel scaling), or keep reworking one answer over several rounds (sequential scaling). The paper
# argues that both follow one simple law. If a single attempt at a problem succeeds with probability p, then
# N independent samples contain a correct one with probability 1 − (1 − p)^N, and a chain of rethinking
# rounds that fixes a wrong answer with probability p per round, and never breaks a right one, is correct
# after N rounds with the same probability. Each extra unit of budget therefore buys geometrically less,
# which defines a saturation point N* beyond which more compute is not worth its cost; the authors'
# "test-time scaling performance model" (TTSPM) predicts it from p, and they report that a small model with
# many samples can beat a larger model that answers once.
#
# We test this on the book's own tiny transformers trained on short arithmetic, modular and program-output
# tasks (`lib.llm.zoo`), drawing dozens of answers per problem on the CPU. The parallel curves (an oracle
# picking any correct answer, a majority vote, a self-confidence verifier) come from exact combinatorial
# estimators; the sequential curve from a loop that answers again until two answers in a row agree; the
# saturation points from each problem's success rate on a separate set of samples; and the compute from
# the tokens the model reads and writes.

# %% [markdown]
# ## Claims under test
#
# The paper's models are DeepSeek-R1-Distill-Qwen (1.5B, 7B, ...) on AIME 2024, MATH-500 and GPQA. Its v2
# is retitled "... Test-Time Scaling Plateau ..."; the claims are the same.
#
# | Id | Claim | Paper's figure |
# |---|---|---|
# | C1 | Parallel scaling follows the binomial bound: N samples, each right with probability p, hold a right answer with probability 1 − (1 − p)^N; a data set is the mean of this over its problems | the TTSPM for parallel scaling (Hit@N with a verifier) |
# | C2 | Sequential scaling (rounds of rethinking, a two-state Markov chain where "correct" absorbs) follows the same form, F(N) = F_max (1 − (1 − p_r)^N) | the TTSPM for sequential scaling: both paradigms share one upper bound |
# | C3 | The saturation point N*, where the marginal gain F_max p (1 − p)^N falls below a threshold, predicted from p, tracks the observed one | Pearson r = 0.803 between predicted and observed N* (7B model, parallel, MATH-500) |
# | C4a | A small model with enough parallel samples beats a larger model answering once | 1.5B with 32 samples: 83.6% on MATH-500, above the 7B model's 82.0% without scaling |
# | C4b | The paper's absolute numbers | AIME 2024: 1.5B from 30.0% to 53.3% with 32 samples (+23.3 points); MATH-500 as in C4a |

# %% tags=["parameters", "remove-cell"]
from typing import Optional  # papermill's inspection reads Optional[int], not int | None
profile: str = "quick"  # quick: ≤ 60 s on 2 cores (after the zoo models are trained once); full: more problems, samples and rounds. one of: quick, full
seed: int = 0  # master random seed (problems, sampling). range: 0..2**31-1
device: str = "cpu"  # torch device for sampling. one of: cpu, cuda
n_problems: Optional[int] = None  # test problems per model; None: 150 (quick), 300 (full). range: 20..3000
n_estimate: Optional[int] = None  # samples per problem used only to estimate p (and predict N*); None: 16 (quick), 32 (full). range: 4..256
n_evaluate: Optional[int] = None  # further samples per problem that give the observed curves; None: 32 (quick), 64 (full). range: 8..512
rounds: Optional[int] = None  # rounds of the sequential (rethinking) loop; None: 8 (quick), 16 (full). range: 2..64
rethink_rule: str = "agree"  # when the sequential loop stops redrawing: agree: a new answer repeats the current one; confident: the model gives its current answer at least confidence_threshold. one of: agree, confident
temperature: float = 0.8  # sampling temperature of every drawn answer. range: 0.1..2.0
confidence_threshold: float = 0.5  # for rethink_rule confident: keep an answer once the model gives it at least this probability. range: 0.0..1.0
eps: float = 0.01  # saturation threshold: least worthwhile gain in accuracy per extra sample or round (0.01 is 1 point). range: 0.0001..0.2
n_bins: int = 6  # groups of problems, by estimated p, per model, for predicted against observed N* (C3). range: 2..30

# %%

import lib.runinfo
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import display
from tqdm.auto import tqdm

from lib import data
from lib.llm import zoo
from lib.claims import Above, AtLeast, AtMost, Below, Claims
from lib.llm.model import generate
from lib.plot import log2_axis, subplots, use_style
from lib.llm.ttc import (best_of_k, fit_beta_prior, fit_saturation_curve, majority_at_k, mixture_curve,
                     mixture_saturation_point, observed_saturation_point, pareto_front, pass_at_k,
                     posterior_hit_rate, smoothed_rate, transition_counts)
from lib.runinfo import profile_sizes

use_style()
sizes = profile_sizes(profile, quick=dict(n_problems=150, n_estimate=16, n_evaluate=32, rounds=8),
                      full=dict(n_problems=300, n_estimate=32, n_evaluate=64, rounds=16),
                      n_problems=n_problems, n_estimate=n_estimate, n_evaluate=n_evaluate, rounds=rounds)
n_problems, n_estimate, n_evaluate = sizes.n_problems, sizes.n_estimate, sizes.n_evaluate
rounds = min(sizes.rounds, n_evaluate)
n_samples = n_estimate + n_evaluate
torch.manual_seed(seed)
print(f"profile={profile}: {n_problems} problems x {n_samples} samples ({n_estimate} to estimate p, "
      f"{n_evaluate} to evaluate), {rounds} sequential rounds, T={temperature}, device={device}")

# %% [markdown]
# ## Method
#
# **Models and problems.** The reasoner is the book's zoo model `task-small` (a TinyGPT trained for a few
# minutes on one thread to write the answer of a task after ` = `; its size and card are in the first table
# below), and, as the "smaller model" of C4a, `task-tiny`: the same recipe at half the width (a quarter
# of the parameters), also a zoo model. Both answer in one short line, without a written chain of thought, so a
# "longer generation" has nothing to spend its tokens on: test-time compute here means more samples, or
# more rounds. The test problems come from `lib.data.task_suite` (modular chains, integer arithmetic,
# straight-line programs, with 1 or 2 operations as in training) under a seed the training data never used;
# a reply is right when its first word is the answer (`lib.data.check_answer`).
#
# **Samples.** For every problem we draw `n_estimate + n_evaluate` answers at temperature T in one batch
# (all problems of one prompt length and all their samples go through the model together). Each sample
# keeps its answer, its correctness, its length in tokens and its log-probability under the untempered
# model, log P(reply | prompt), which serves as the model's confidence. The first `n_estimate` samples are
# used only to estimate each problem's success probability p; every observed curve comes from the other
# `n_evaluate` samples, so predictions are never scored on the samples they were made from.
#
# **Parallel scaling** (`lib.llm.ttc`). From a pool of n samples, c of them right, the expected accuracy of a
# random subset of N ≤ n is computed exactly, not by resampling:
#
# * Hit@N, an oracle keeps a right sample if there is one: 1 − C(n − c, N) / C(n, N) (the unbiased pass@k);
# * majority@N, a plurality vote over the answers, ties split at random: a generating-polynomial count of
#   the subsets in which the right answer has the most votes;
# * verifier@N, the sample with the highest confidence wins: the sample ranked r-th from the bottom is
#   picked in C(r, N − 1) of the C(n, N) subsets.
#
# **The saturation model.** For one problem, F(N) = F_max (1 − (1 − p)^N); for a data set, the mean of this
# over its problems. The marginal gain is Δ(N) = F(N + 1) − F(N) = F_max p (1 − p)^N, and the saturation
# point is N* = min{N ≥ 1 : Δ(N) < ε}: for one problem N* = ⌊ln(ε / (F_max p)) / ln(1 − p)⌋ + 1, for a
# group of problems the first N where the group's mean Δ falls below ε. The predicted N* applies this rule
# to the curve predicted from the estimation samples (F_max = 1, each problem's p from its c successes in n
# draws, see part B), the observed N* to the evaluation samples' Hit@N curve. Both stop at `n_evaluate`, the
# largest budget we can observe.
#
# **Sequential scaling.** The paper's reasoning models rethink an answer they have already written. Ours
# cannot revise (they were never trained on a wrong answer followed by its correction), so their one
# sequential move is to answer again and check. Round 1 draws an answer; every later round draws a new one,
# and the loop stops once the new answer repeats the current one (`rethink_rule = "agree"`: the model
# confirms itself), taking the new answer otherwise. A confirmed answer stays, and the loop stops spending
# tokens. (With `rethink_rule = "confident"` it stops instead once the model gives its current answer
# probability at least `confidence_threshold`.) Whether right answers are absorbing, as the paper's Markov
# chain assumes, is then a measurement: we count the moves between rounds. Each problem's `n_evaluate`
# evaluation samples, in the order they were drawn, feed `n_evaluate / rounds` independent runs of the loop.
# The prediction runs the same loop in expectation on each problem's answer frequencies q from its
# estimation samples: with u_t(i) the chance that answer i is current and unconfirmed after round t and
# c_t(i) that it is confirmed, c_{t+1}(i) = c_t(i) + u_t(i) q_i and u_{t+1}(j) = q_j (Σ_i u_t(i) − u_t(j)),
# and the accuracy is c_t(right) + u_t(right).
#
# **Compute.** A reply costs the tokens the model reads and writes: the prompt once per problem (its KV
# cache serves every sample and round), plus every generated token, times 2 × parameters FLOPs per token.
# Parallel selection at budget N pays for N replies; the sequential loop pays only for the rounds it runs.

# %% [markdown]
# ## Part A: the models, the problems and the samples

# %%
with lib.runinfo.threads(1):  # task-tiny: the zoo's task-small recipe at half the width
    models = {"task-small": zoo.load("task-small"), "task-tiny": zoo.load("task-tiny")}
for zm in models.values():
    zm.model.to(device)
KINDS, STEPS = tuple(data.TASK_KINDS), (1, 2)
per_cell = -(-n_problems // (len(KINDS) * len(STEPS)))  # ceil: problems per (kind, steps)
problems = [t for kind in KINDS for s in STEPS for t in data.task_suite(kind, per_cell, seed=10_000 + seed, steps=s)]
problems = [problems[i] for i in np.random.default_rng(seed).permutation(len(problems))[:n_problems]]
pd.DataFrame([{"model": name, "parameters": zm.card["parameters"], "train seconds": zm.card["train_seconds"],
               **{f"greedy {k}": v for k, v in zm.card["task_accuracy"].items()}}
              for name, zm in models.items()]).set_index("model")


# %%
def draw_samples(zm, tasks, n, temperature, seed, max_new_tokens=8, batch_rows=2048) -> dict:
    """n replies per task, drawn in batches of equal-length prompts; arrays of shape (tasks, n)."""
    tok = zm.tokenizer
    prompts = [tok.encode(t.prompt) for t in tasks]
    out = {"correct": np.zeros((len(tasks), n), bool), "logprob": np.zeros((len(tasks), n)),
           "tokens": np.zeros((len(tasks), n), int), "answer": np.empty((len(tasks), n), object),
           "prompt_tokens": np.array([len(p) for p in prompts])}
    by_length = {}
    for i, p in enumerate(prompts):
        by_length.setdefault(len(p), []).append(i)
    chunks = [(length, idx[j:j + max(1, batch_rows // n)]) for length, idx in sorted(by_length.items())
              for j in range(0, len(idx), max(1, batch_rows // n))]
    for number, (length, idx) in enumerate(tqdm(chunks, desc=f"sampling {zm.name}", leave=False)):
        batch = [prompts[i] for i in idx for _ in range(n)]
        gen = generate(zm.model, batch, max_new_tokens, temperature=temperature, seed=seed * 100_003 + number,
                       stop_id=tok.stop_id)
        for row, (ids, logps) in enumerate(zip(gen.tokens, gen.logprobs)):
            i, j = idx[row // n], row % n
            reply = tok.decode(ids)
            out["answer"][i, j] = data.first_word(reply)  # None: abstains from a vote
            out["correct"][i, j] = data.check_answer(tasks[i], reply)
            out["logprob"][i, j] = sum(logps)
            out["tokens"][i, j] = len(ids)
    return out


with lib.runinfo.threads(1):
    pools = {name: draw_samples(zm, problems, n_samples, temperature, seed) for name, zm in models.items()}
    greedy = {name: draw_samples(zm, problems, 1, 0.0, seed) for name, zm in models.items()}
est = {name: {k: (v[:, :n_estimate] if v.ndim == 2 else v) for k, v in pool.items()} for name, pool in pools.items()}
ev = {name: {k: (v[:, n_estimate:] if v.ndim == 2 else v) for k, v in pool.items()} for name, pool in pools.items()}
c_est = {name: e["correct"].sum(1) for name, e in est.items()}
prior = {name: fit_beta_prior(c, n_estimate) for name, c in c_est.items()}  # empirical Bayes, per model
p_hat = {name: smoothed_rate(c_est[name], n_estimate, prior[name]) for name in models}  # posterior means
pd.DataFrame([{"model": name, "greedy accuracy": greedy[name]["correct"].mean(), "sample accuracy (T)": pool["correct"].mean(),
               "problems never solved": (pool["correct"].sum(1) == 0).mean(),
               "tokens per reply": pool["tokens"].mean(), "prompt tokens": pool["prompt_tokens"].mean()}
              for name, pool in pools.items()]).set_index("model").round(3)

# %% [markdown]
# ## Part B: parallel scaling
#
# Hit@N, majority@N and verifier@N for N = 1 … `n_evaluate`, from the evaluation samples, against the
# saturation model's prediction from the estimation samples alone. A problem solved c times in its
# `n_estimate` estimation samples has an uncertain p, and plugging in p̂ = c/n is biased for N > 1 (never
# solved in 16 draws does not mean p = 0). We therefore fit a Beta(a, b) prior to all problems' counts
# (empirical Bayes: the beta-binomial maximum likelihood, `fit_beta_prior`) and predict each problem's Hit@N
# as the mean of 1 − (1 − p)^N over its posterior Beta(a + c, b + n − c): the same law, with its parameter's
# uncertainty averaged over instead of ignored. This is the prediction C1 and C3 judge; the plain plug-in
# p̂ = c/n is shown next to it.

# %%
BUDGETS = np.arange(1, n_evaluate + 1)


def parallel_curves(pool) -> dict:
    """Per-problem expected accuracy of each selection rule at every budget N (arrays: problems x budgets)."""
    n = pool["correct"].shape[1]
    curves = {"Hit@N (oracle)": pass_at_k(n, pool["correct"].sum(1)[:, None], BUDGETS[None, :]),
              "verifier@N": np.stack([best_of_k(s, c, BUDGETS) for s, c in zip(pool["logprob"], pool["correct"])])}
    majority = []
    for answers, correct in zip(pool["answer"], pool["correct"]):
        voted = [a for a in answers if a is not None]
        distinct = sorted(set(voted))
        right = {a for a, ok in zip(answers, correct) if ok}
        counts = [voted.count(a) for a in distinct]
        index = distinct.index(next(iter(right))) if right else None
        majority.append(majority_at_k(counts, index, BUDGETS, abstain=len(answers) - len(voted)))
    curves["majority@N"] = np.stack(majority)
    return curves


per_problem = {name: parallel_curves(ev[name]) for name in tqdm(models, desc="selection rules")}

def predicted_hit(c, n, prior) -> np.ndarray:
    """Mean over problems of each one's posterior-expected 1 - (1 - p)^N, at every budget N."""
    return posterior_hit_rate(BUDGETS[:, None], c[None, :], n, prior).mean(1)


predicted = {name: {"TTSPM, Beta posterior": predicted_hit(c_est[name], n_estimate, prior[name]),
                    "TTSPM, plug-in p̂ = c/n": mixture_curve(BUDGETS, c_est[name] / n_estimate)}
             for name in models}
print("empirical-Bayes priors: " + ", ".join(f"{name}: Beta({a:.3f}, {b:.3f})" for name, (a, b) in prior.items()))
parallel = pd.concat([pd.DataFrame({"model": name, "N": BUDGETS, "rule": rule, "accuracy": curve})
                      for name in models for rule, curve in {**{r: c.mean(0) for r, c in per_problem[name].items()},
                                                             **predicted[name]}.items()])

# %% [markdown]
# A check of the estimators on the first 20 problems: the exact expectations against the mean over 2,000
# random subsets of the evaluation samples. The differences should be Monte Carlo noise only: about 1 point
# of standard error per problem, so a largest difference over 20 problems of 2-3 points.

# %%
def subsample_check(pool, budgets=(2, 8), draws=2000, n_check=20, rng=np.random.default_rng(seed)):
    rows = []
    for N in budgets:
        for i in range(n_check):
            picks = np.argsort(rng.random((draws, pool["correct"].shape[1])), axis=1)[:, :N]
            hit = pool["correct"][i][picks].any(1).mean()
            best = np.array([pool["correct"][i][p[np.argmax(pool["logprob"][i][p])]] for p in picks]).mean()
            rows.append({"N": N, "Hit@N": abs(hit - per_problem["task-small"]["Hit@N (oracle)"][i, N - 1]),
                         "verifier@N": abs(best - per_problem["task-small"]["verifier@N"][i, N - 1])})
    return pd.DataFrame(rows).groupby("N").max().rename(columns=lambda c: f"max |exact − subsampled| {c}")


subsample_check(ev["task-small"]).round(4)

# %%
fig, axes = subplots(1, 2, sharey=True)
for ax, name in zip(axes, models):
    sub = parallel[parallel.model == name]
    sns.lineplot(data=sub, x="N", y="accuracy", hue="rule", style="rule", ax=ax, legend=ax is axes[-1],
                 dashes={r: (2, 2) if r.startswith("TTSPM") else "" for r in sub.rule.unique()});
    log2_axis(ax, "x");
    ax.set_title(name);
sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.0, 1.0));
plt.show()

# %%
C1_AT = [N for N in (8, 32) if N <= n_evaluate]
c1_table = pd.DataFrame([{"model": name, "N": N,
                          "observed Hit@N": per_problem[name]["Hit@N (oracle)"][:, N - 1].mean(),
                          "predicted, Beta posterior": predicted[name]["TTSPM, Beta posterior"][N - 1],
                          "predicted, plug-in c/n": predicted[name]["TTSPM, plug-in p̂ = c/n"][N - 1]}
                         for name in models for N in C1_AT])
c1_table["posterior error (points)"] = 100 * (c1_table["predicted, Beta posterior"] - c1_table["observed Hit@N"])
c1_table["plug-in error (points)"] = 100 * (c1_table["predicted, plug-in c/n"] - c1_table["observed Hit@N"])
c1_table.set_index(["model", "N"]).round(3)

# %% [markdown]
# ## Part C: sequential scaling, answering again until the answer repeats
#
# Every problem's evaluation samples, in the order drawn, feed `n_evaluate // rounds` runs of the loop. We
# record after each round whether the current answer is right and how many tokens the run has generated,
# then fit F(N) = F_max (1 − (1 − p_r)^N) to the accuracy by round (C2) and count the moves between rounds.

# %%
LOG_THRESHOLD = np.log(confidence_threshold) if confidence_threshold > 0 else -np.inf


def rethink_runs(pool, rounds):
    """Run the loop on consecutive blocks of `rounds` samples: returns (right after each round, tokens generated
    so far), arrays of shape (problems * runs, rounds)."""
    runs = pool["correct"].shape[1] // rounds
    take = lambda key: pool[key][:, :runs * rounds].reshape(-1, rounds)  # noqa: E731
    answers, correct, tokens, logprob = take("answer"), take("correct"), take("tokens"), take("logprob")
    right, spent = np.zeros_like(correct), np.zeros(tokens.shape, int)
    current, now_right, total = answers[:, 0].copy(), correct[:, 0].copy(), tokens[:, 0].copy()
    now_logprob = logprob[:, 0].copy()
    done = np.zeros(len(current), bool)
    right[:, 0], spent[:, 0] = now_right, total
    for t in range(1, rounds):
        if rethink_rule == "confident":
            done = now_logprob >= LOG_THRESHOLD  # keep: the model is sure enough of its current answer
            active = ~done
            move = active
        else:
            active = ~done
            agree = active & (answers[:, t] == current) & (current != None)  # noqa: E711 (elementwise)
            done = done | agree
            move = active & ~agree
        total = total + np.where(active, tokens[:, t], 0)
        current = np.where(move, answers[:, t], current)
        now_right = np.where(move, correct[:, t], now_right)
        now_logprob = np.where(move, logprob[:, t], now_logprob)
        right[:, t], spent[:, t] = now_right, total
    return right, spent


def agree_prediction(answers, correct, rounds) -> np.ndarray:
    """Expected accuracy by round of the agree loop for one problem, from its answer frequencies."""
    voted = [a for a in answers if a is not None]
    distinct = sorted(set(voted))
    q = np.array([voted.count(a) for a in distinct]) / len(answers)  # P(draw answer i); the rest abstain
    right = next((distinct.index(a) for a, ok in zip(answers, correct) if ok), None)
    if right is None:
        return np.zeros(rounds)
    unconfirmed, unconfirmed_none, confirmed = q.copy(), 1 - q.sum(), np.zeros_like(q)
    accuracy = [unconfirmed[right]]
    for _ in range(1, rounds):
        total = unconfirmed.sum() + unconfirmed_none
        confirmed = confirmed + unconfirmed * q
        unconfirmed, unconfirmed_none = q * (total - unconfirmed), (1 - q.sum()) * total
        accuracy.append(confirmed[right] + unconfirmed[right])
    return np.array(accuracy)


def confident_prediction(pool, rounds) -> np.ndarray:
    """Expected accuracy by round of the confident loop (all problems): with a = P(a draw is kept), a_r =
    P(kept and right), u_r = P(not kept but right): (a_r / a)(1 - (1 - a)^N) + (1 - a)^(N-1) u_r."""
    kept = pool["logprob"] >= LOG_THRESHOLD
    a, a_r = kept.mean(1), (kept & pool["correct"]).mean(1)
    u_r = (~kept & pool["correct"]).mean(1)
    N = np.arange(1, rounds + 1)[:, None]
    absorbed = np.divide(a_r, a, out=np.zeros_like(a), where=a > 0) * (1 - (1 - a) ** N)
    return absorbed + (1 - a) ** (N - 1) * u_r


def rethink_prediction(pool, rounds) -> np.ndarray:
    if rethink_rule == "confident":
        return confident_prediction(pool, rounds).mean(1)
    return np.mean([agree_prediction(a, c, rounds) for a, c in zip(pool["answer"], pool["correct"])], axis=0)


ROUNDS = np.arange(1, rounds + 1)
sequential, seq_fit, moves = {}, {}, {}
for name in models:
    right, spent = rethink_runs(ev[name], rounds)
    sequential[name] = {"accuracy": right.mean(0), "tokens": spent.mean(0),
                        "predicted": rethink_prediction(est[name], rounds)}
    seq_fit[name] = fit_saturation_curve(ROUNDS, right.mean(0))
    moves[name] = transition_counts(right)

seq_table = pd.DataFrame([{
    "model": name, "accuracy, round 1": sequential[name]["accuracy"][0],
    f"accuracy, round {rounds}": sequential[name]["accuracy"][-1],
    "fitted p_r": seq_fit[name]["p"], "fitted F_max": seq_fit[name]["f_max"], "R²": seq_fit[name]["r2"],
    "wrong → right": moves[name][0, 1] / moves[name][0].sum(),
    "right → wrong": moves[name][1, 0] / max(1, moves[name][1].sum()),
    f"tokens generated by round {rounds}": sequential[name]["tokens"][-1]} for name in models]).set_index("model")
seq_table.round(4)

# %%
fig, axes = subplots(1, 2)
for name, color in zip(models, sns.color_palette()):
    seq = sequential[name]
    axes[0].plot(ROUNDS, seq["accuracy"], "o-", color=color, label=f"{name}, observed");
    axes[0].plot(ROUNDS, seq_fit[name]["f_max"] * (1 - (1 - seq_fit[name]["p"]) ** ROUNDS), "--", color=color,
                 label=f"{name}, fit F_max(1-(1-p_r)^N)");
    axes[0].plot(ROUNDS, seq["predicted"], ":", color=color, label=f"{name}, predicted from estimation samples");
axes[0].set(xlabel="rounds N", ylabel="accuracy", title="accuracy by round");
axes[0].legend(fontsize=7);
rates = pd.DataFrame({name: (m / m.sum(1, keepdims=True)).ravel() for name, m in moves.items()},
                     index=["wrong → wrong", "wrong → right", "right → wrong", "right → right"])
sns.heatmap(rates, annot=True, fmt=".3f", cmap="Blues", cbar=False, ax=axes[1]);
axes[1].set_title("moves between rounds");
plt.show()

# %% [markdown]
# ## Part D: saturation points, predicted against observed
#
# Per model, the problems are sorted by their estimated p (posterior mean) and cut into `n_bins` groups of
# equal size. For each group, the predicted N* comes from the estimation samples and the observed N* from
# the evaluation samples (C3). The closed form with one plug-in p per problem, `mixture_saturation_point`,
# is shown for comparison; it is not capped at `n_evaluate`.

# %%
bin_rows = []
for name in models:
    order = np.argsort(p_hat[name], kind="stable")
    for b, members in enumerate(np.array_split(order, n_bins)):
        pred_curve = predicted_hit(c_est[name][members], n_estimate, prior[name])
        obs_curve = per_problem[name]["Hit@N (oracle)"][members].mean(0)
        bin_rows.append({"model": name, "bin": b, "mean p̂": p_hat[name][members].mean(),
                         "predicted N*": observed_saturation_point(pred_curve, eps),
                         "observed N*": observed_saturation_point(obs_curve, eps),
                         "closed form N*, plug-in p̂": mixture_saturation_point(p_hat[name][members], eps)})
bins = pd.DataFrame(bin_rows)


def pearson(x, y) -> float:
    """Pearson r; NaN (which fails every criterion) when either side is constant or there are < 3 points."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(np.corrcoef(x, y)[0, 1]) if len(x) > 2 and x.std() > 0 and y.std() > 0 else float("nan")


# Groups the model never solves sit at N* = 1 on both sides and can inflate r; the second r leaves them out.
live = bins["predicted N*"] > 1
r_nstar, r_live = pearson(bins["predicted N*"], bins["observed N*"]), pearson(bins.loc[live, "predicted N*"],
                                                                              bins.loc[live, "observed N*"])
print(f"Pearson r between predicted and observed N* over {len(bins)} groups: {r_nstar:.3f}; over the {live.sum()} "
      f"groups with predicted N* > 1: {r_live:.3f} (ε = {eps})")
bins.set_index(["model", "bin"]).round(3)

# %%
fig, ax = subplots(1, 1, width=4.5, height=4)
sns.scatterplot(data=bins, x="predicted N*", y="observed N*", hue="model", style="model", s=70, ax=ax);
top = max(bins["predicted N*"].max(), bins["observed N*"].max()) + 1
ax.plot([0, top], [0, top], color="grey", lw=1, ls="--");
ax.set_title(f"saturation points, ε = {eps}, r = {r_nstar:.2f}");
plt.show()

# %% [markdown]
# ## Part E: the Pareto front of accuracy against compute
#
# Every budget of every achievable rule (majority@N and verifier@N for each N, the rethink loop after each
# round, greedy decoding) becomes one point: accuracy against decoding FLOPs per problem (2 × parameters ×
# tokens read and written). The front keeps the points that nothing cheaper beats. Hit@N needs an oracle
# that knows the answer, so it is drawn for reference but kept off the front. C4a asks whether the smaller
# model, given enough samples, overtakes the larger one answering once.

# %%
points = []
for name, zm in models.items():
    flops_per_token = 2 * zm.card["parameters"]
    prompt, reply = ev[name]["prompt_tokens"].mean(), ev[name]["tokens"].mean()
    for rule, curve in per_problem[name].items():
        points += [{"model": name, "rule": rule, "budget": N, "accuracy": curve[:, N - 1].mean(),
                    "tokens": prompt + N * reply} for N in BUDGETS]
    points += [{"model": name, "rule": "rethink loop", "budget": N, "accuracy": acc, "tokens": prompt + tokens}
               for N, acc, tokens in zip(ROUNDS, sequential[name]["accuracy"], sequential[name]["tokens"])]
    points.append({"model": name, "rule": "greedy", "budget": 1, "accuracy": greedy[name]["correct"].mean(),
                   "tokens": prompt + greedy[name]["tokens"].mean()})
    for point in points:
        if point["model"] == name:
            point["GFLOP"] = point["tokens"] * flops_per_token / 1e9
front_table = pd.DataFrame(points)
achievable = front_table["rule"] != "Hit@N (oracle)"
front_table["on front"] = False
front_table.loc[achievable, "on front"] = pareto_front(front_table.loc[achievable, "GFLOP"],
                                                       front_table.loc[achievable, "accuracy"])
front_table[front_table["on front"]].sort_values("GFLOP").round(4)

# %% tags=["thumbnail"]
fig, ax = subplots(1, 1, width=8, height=4.5)
sns.lineplot(data=front_table, x="GFLOP", y="accuracy", hue="rule", style="model", markers=True, dashes=False,
             markersize=4, ax=ax);
front = front_table[front_table["on front"]].sort_values("GFLOP")
ax.step(front["GFLOP"], front["accuracy"], where="post", color="black", lw=1.5, label="Pareto front");
log2_axis(ax, "x");
ax.set(xlabel="decoding compute per problem (GFLOP, log scale)", ylabel="accuracy",
       title="test-time scaling: accuracy against compute");
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0));
plt.show()

# %%
N4 = min(32, n_evaluate)
big, small = "task-small", "task-tiny"
c4 = {"small Hit@N": per_problem[small]["Hit@N (oracle)"][:, N4 - 1].mean(),
      "small majority@N": per_problem[small]["majority@N"][:, N4 - 1].mean(),
      "small pass@1": ev[small]["correct"].mean(), "large pass@1": ev[big]["correct"].mean()}
c4_flops = {"small, N samples": front_table.query("model == @small and rule == 'majority@N' and budget == @N4")["GFLOP"].item(),
            "large, 1 sample": front_table.query("model == @big and rule == 'majority@N' and budget == 1")["GFLOP"].item()}
print(f"N = {N4}: " + ", ".join(f"{k} = {v:.3f}" for k, v in c4.items()))
print("GFLOP per problem: " + ", ".join(f"{k} = {v:.4f}" for k, v in c4_flops.items()))

# %% [markdown]
# ## Verdict
#
# Criteria, from the replication spec and written into the code before the runs whose verdicts are shown: C1, the predicted Hit@N within 3 points of
# the observed at N = 8 and 32 for both models (6 points: partially); C2, the fit of F_max(1 − (1 − p_r)^N)
# to the accuracy by round reaches R² ≥ 0.95 and right answers turn wrong in under 5% of the moves, for both
# models (the fits alone: partially); C3, Pearson r ≥ 0.6 between predicted and observed N* over the
# groups of both models, and also over the groups left when those with predicted N* = 1 (problems the model
# never solves, which sit at N* = 1 on both sides) are set aside (0.3: partially); C4a, the smaller model's Hit@32 and majority@32 both beat the
# larger model's single-sample accuracy, and the larger model is the better one at N = 1 (Hit@32 only:
# partially). The spec asks C4a only of Hit@N; we also ask it of the majority vote, which needs no oracle.
# In the open: two of these conditions were added after a first run on an earlier, weaker zoo model, and
# both make a verdict harder to earn, never easier. The majority-vote condition of C4a, and the second
# correlation of C3: on that model the problems it never solved sat at N* = 1 on both sides and pushed the
# correlation over all groups up for a reason unrelated to the law.

# %%
# NBVAL_CHECK_OUTPUT
claims = Claims("test-time-scaling-pareto")
c1_errors = {f"|error| {row.model} N={row.N} (points)": abs(row["posterior error (points)"])
             for _, row in c1_table.iterrows()}
claims.check("C1", "Parallel Hit@N follows the per-problem binomial law 1 − (1 − p)^N, averaged over problems",
             paper="TTSPM: F(N) = F_max (1 − (1 − p)^N)", ours=c1_errors,
             reproduced={k: AtMost(3) for k in c1_errors}, partial={k: AtMost(6) for k in c1_errors}, digits=2,
             note="p from separate estimation samples, Beta posterior with an empirical-Bayes prior")

c2_values, c2_full, c2_part = {}, {}, {}
for name in models:
    c2_values[f"R² {name}"] = seq_fit[name]["r2"]
    c2_values[f"right → wrong {name}"] = moves[name][1, 0] / max(1, moves[name][1].sum())
    c2_full.update({f"R² {name}": AtLeast(0.95), f"right → wrong {name}": Below(0.05)})
    c2_part[f"R² {name}"] = AtLeast(0.95)
claims.check("C2", "Sequential rounds follow the same law; the correct state absorbs",
             paper="F(N) = F_max (1 − (1 − p_r)^N), correct absorbing", ours=c2_values,
             reproduced=c2_full, partial=c2_part,
             note="loop: answer again until the new answer repeats the current one" if rethink_rule == "agree" else
                  f"loop: answer again until the model gives its answer probability ≥ {confidence_threshold}")

claims.check("C3", "Predicted saturation points track the observed ones",
             paper="Pearson r = 0.803 (7B, parallel, MATH-500)",
             ours={"Pearson r, all groups": r_nstar, "Pearson r, groups with predicted N* > 1": r_live},
             reproduced={"Pearson r, all groups": AtLeast(0.6), "Pearson r, groups with predicted N* > 1": AtLeast(0.6)},
             partial={"Pearson r, all groups": AtLeast(0.3), "Pearson r, groups with predicted N* > 1": AtLeast(0.3)},
             note=f"{len(bins)} groups of problems ({n_bins} per model), ε = {eps}, budgets up to {n_evaluate}")

c4_values = {f"small Hit@{N4} − large pass@1": c4["small Hit@N"] - c4["large pass@1"],
             f"small majority@{N4} − large pass@1": c4["small majority@N"] - c4["large pass@1"],
             "large pass@1 − small pass@1": c4["large pass@1"] - c4["small pass@1"]}
c4_keys = list(c4_values)
claims.check("C4a", "A smaller model with parallel samples beats a larger model answering once",
             paper="1.5B with 32 samples 83.6% > 7B at N = 1 82.0% (MATH-500)", ours=c4_values,
             reproduced={k: Above(0) for k in c4_keys}, partial={c4_keys[0]: Above(0), c4_keys[2]: Above(0)},
             note=f"{small} against {big}; the last row checks that the larger model is the better one at N = 1")

claims.not_testable("C4b", "The paper's absolute accuracies", paper="AIME 2024: 30.0% → 53.3% with 32 samples (1.5B)",
                    why="needs the DeepSeek-R1-Distill models and AIME / MATH-500 / GPQA; ours are "
                        + " and ".join(f"{zm.card['parameters'] / 1e6:.1f}M" for zm in models.values())
                        + "-parameter models on generated arithmetic")
claims.show()

# %% [markdown]
# ## What we scaled down
#
# | | Paper | Here |
# |---|---|---|
# | Models | DeepSeek-R1-Distill-Qwen 1.5B, 7B and larger reasoning models | two character-level TinyGPTs of well under a million parameters: the zoo's `task-small` and its half-width twin `task-tiny`, trained for minutes |
# | Problems | AIME 2024, MATH-500, GPQA | generated one-line tasks (modular chains, arithmetic, straight-line programs, 1 or 2 operations), 150 (quick) or 300 (full) |
# | Parallel scaling | up to 32-64 long chain-of-thought samples, a verifier | 32 (quick) or 64 (full) short answers per problem; oracle, majority vote and self-confidence verifier, exact estimators |
# | Sequential scaling | rounds of "rethinking" in the model's own reasoning | answer again until two answers in a row agree, 8 (quick) or 16 (full) rounds |
# | Estimating p | N = 1 accuracy per problem | 16 (quick) or 32 (full) separate samples per problem, beta-binomial empirical Bayes |
# | Compute | tokens | tokens read and written, and 2 × parameters FLOPs per token |
# | Hardware | GPUs | one CPU thread |

# %% [markdown]
# ## Discussion
#
# **This run in numbers** (computed, not typed in):

# %%
def run_in_numbers() -> str:
    lines = []
    for name in models:
        hit, maj = per_problem[name]["Hit@N (oracle)"].mean(0), per_problem[name]["majority@N"].mean(0)
        ver = per_problem[name]["verifier@N"].mean(0)
        lines.append(f"* `{name}`: one sample is right {hit[0]:.1%} of the time (greedy {greedy[name]['correct'].mean():.1%}); "
                     f"with {n_evaluate} samples an oracle finds a right one for {hit[-1]:.1%} of the problems, the "
                     f"majority vote {maj[-1]:.1%}, the confidence verifier {ver[-1]:.1%}; the sequential loop goes from "
                     f"{sequential[name]['accuracy'][0]:.1%} to {sequential[name]['accuracy'][-1]:.1%} in {rounds} rounds, "
                     f"and right answers turn wrong in {c2_values[f'right → wrong {name}']:.0%} of its moves.")
    lines.append(f"* Problems never solved in all {n_samples} samples: " + ", ".join(
        f"`{name}` {(pool['correct'].sum(1) == 0).mean():.0%}" for name, pool in pools.items()) + ".")
    return "\n".join(lines)


display({"text/markdown": run_in_numbers(), "text/plain": run_in_numbers()}, raw=True)

# %% [markdown]
# **What carries over.** The parallel law is exact here by construction: given a problem, our samples are
# independent draws, so Hit@N of each problem is 1 − (1 − p)^N with no approximation, and the data-set curve
# is the mean of these curves over problems. The whole difficulty of C1 is estimating p from a handful of
# samples. A plug-in p̂ = c/n treats a problem never solved in 16 draws as unsolvable and underpredicts
# Hit@N more and more as N grows; averaging over each problem's Beta posterior, with a prior fitted to all
# problems at once, removes most of that bias, but a single Beta cannot follow a population made of many
# hopeless problems plus a long tail of rarely solved ones, so the prediction at N = 32 still falls short
# when the tail is heavy. The paper's saturation point needs the same ingredients: with ε = 1 point per
# sample, problems that are always solved or never solved saturate at once, and the problems in between
# saturate late, so N* rises and then falls again as p grows; the predicted and observed N* share that
# shape, which is what C3's correlation measures.
#
# **What does not.** First, an oracle on one-word answers is generous: a problem with a dozen plausible
# answers is "solved" by enough guessing, so Hit@N climbs while the majority vote, which needs the right
# answer to be the most frequent one, and the confidence verifier, which needs the model to know when it is
# right, stay close to single-sample accuracy for models this weak. Hit@N is an upper bound on what a
# selector can reach, not an accuracy anyone gets without the answer key, and the Pareto front is drawn
# without it. Second, sequential scaling: the paper's models rethink a written chain of thought, ours only
# answer again. In our loop a right answer is kept only once the model repeats it; until then the next
# draw can replace it with a wrong one, so the right state is far from absorbing and the accuracy by round
# does not follow the rising geometric curve the paper's two-state chain predicts. This is the pitfall the
# spec names: rounds that merely resample are parallel scaling in disguise, and with a right-to-wrong rate
# this high the paper's assumption fails visibly. Third, C4a: with enough samples the smaller model's
# oracle accuracy passes the larger model's single answer by a wide margin, but that is the oracle's
# generosity again; its majority vote, the fair comparison, gains only a few points over its own single
# sample and at best ties the larger model. The paper's small model overtakes the large one through
# selection that works (voting over long solutions that usually agree when right); ours are too weak for
# their right answers to dominate the vote. C4a also checks that the larger model really is the better one
# at N = 1, since otherwise the comparison would say nothing about scale.
#
# **Caveats.** Two tiny models on generated arithmetic are far from reasoning models on competition
# mathematics: the answers are one word, the chains of thought absent, and the compute counted in tokens of
# a model that costs about a megaFLOP per token. What we test is the probabilistic skeleton of the paper
# (the binomial law over a mixture of problems, the saturation rule, the Markov-chain assumption), which
# does not depend on scale, with the caveat that our sequential loop is only an analogue of rethinking.

# %% [markdown]
# ## Exercises
#
# 1. Rerun with `repro run test-time-scaling-pareto -p n_estimate=4`. How do the predicted curves and the
#    predicted saturation points change when p is estimated from four samples instead of sixteen, and
#    which prediction, the plug-in or the Bayesian one, suffers more? Why?
# 2. Rerun with `-p temperature=1.2` and then `-p temperature=0.4`. Sampling hotter raises the chance that a
#    problem is solved at all but lowers p for the problems the model already knows: what happens to Hit@32,
#    to majority@32 and to the saturation points?
# 3. Rerun with `-p rethink_rule=confident` and then add `-p confidence_threshold=0.2`. How do the moves between
#    rounds, the fitted F_max and the tokens spent by the sequential loop change, and where do its points land
#    relative to the Pareto front?

# %%
lib.runinfo.run_summary()
