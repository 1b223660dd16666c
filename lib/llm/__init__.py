"""The book's language models and what runs on them.

* :mod:`lib.llm.model` — TinyGPT, its KV caches and hooks, generation, perplexity;
* :mod:`lib.llm.checkpoint` — a local Llama- or GPT-2-style checkpoint into a TinyGPT;
* :mod:`lib.llm.zoo` — the book's own models: their training recipe and cache; :mod:`lib.llm.zoo_build` trains
  them ahead of the notebooks (the ``repro`` hook) and lists them; :mod:`lib.llm.cards` prints a card in one line;
* :mod:`lib.llm.decode` — batch-1 decode timing and the memory floor;
* :mod:`lib.llm.qjl` — the QJL sketch of keys and its estimator;
* :mod:`lib.llm.treesearch` — step-level tree search (beam, REBASE, ETS);
* :mod:`lib.llm.ttc` — test-time compute: pass@k, majority@k, best-of-k, saturation fits.
"""
