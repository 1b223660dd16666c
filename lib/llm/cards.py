"""A zoo model's card in one line (the notebooks print it; ``repro zoo`` lists it). Kept out of the training
recipe (:mod:`lib.llm.zoo`), so that editing how a card reads retrains nothing."""
from __future__ import annotations

import numpy as np


def summary(card: dict) -> str:
    acc = card.get("task_accuracy", {})
    mean = np.mean(list(acc.values())) if acc else float("nan")
    return (f"{card['name']}: {card['parameters']:,} parameters, val perplexity {card['val_perplexity']:.2f}, "
            f"next-token accuracy {card['val_next_token_accuracy']:.3f}, mean task accuracy {mean:.3f}, "
            f"trained in {card['train_seconds']:.0f} s")
