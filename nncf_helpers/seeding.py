"""One seed, independent random streams.

Every random choice of the pipeline draws from its own numpy generator, seeded with the
run's seed and a fixed number for its purpose. Generators seeded with the same plain
integer would produce the same numbers, so that, for example, the first zeros drawn for
training would be exactly the first cells held out.
"""

from __future__ import annotations

import numpy as np

SUBSET = 1
SPLIT = 2
TRAINING_BATCHES = 3
VALIDATION_SAMPLE = 4
TEST_SAMPLES = 5
RANKING = 6
BASELINES = 7
DROPOUT = 8


def rng_for(seed: int, purpose: int, *extra: int) -> np.random.Generator:
    """Return the generator of one purpose (a constant of this module) under ``seed``."""
    return np.random.default_rng([int(seed), purpose, *(int(value) for value in extra)])
