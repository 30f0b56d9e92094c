"""Switches: what interventions change, read by the mechanisms.

An intervention (:mod:`sim.interventions`) changes entries of :class:`Switches` from its start day
(and, for private-by-default accounts, the children's privacy settings); the mechanisms read them.
Everything here defaults to the 2019 baseline: no detection, suggestions for everyone, every
per-child multiplier 1. :class:`SwitchArrays` is the part kernels take.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field

import numpy as np

from sim.categories import Stage

#: The switches kernels read (per child: multipliers and the guardian's effect; per platform and
#: stage: the detector's daily flag probability; per platform: scanned or not).
SwitchArrays = namedtuple(
    "SwitchArrays",
    "accept_mult block_mult report_mult guardian_mult guardian_abandon detect_on detect_sens scanned",
)


@dataclass
class Switches:
    """Everything an intervention may change (arrays by node ``[n]`` or platform ``[P]``)."""

    suggestible: np.ndarray  # bool [n, P]: may see and appear in suggestions on platform p
    no_adult_child_suggestions: np.ndarray  # bool [P]
    min_mutual_for_minors: np.ndarray  # int [P]: 0 = no threshold
    accept_mult: np.ndarray  # float [n]: stranger acceptance multiplier (children)
    block_mult: np.ndarray
    report_mult: np.ndarray
    guardian_mult: np.ndarray  # daily guardian-cue multiplier per child
    guardian_abandon: np.ndarray  # per child: offender abandons after a guardian cue
    detect_on: bool = False
    detect_platforms: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    detect_base: np.ndarray = field(default_factory=lambda: np.zeros((0, len(Stage))))  # [P, stage]
    detect_mult: np.ndarray = field(default_factory=lambda: np.ones(0))  # [P]
    detect_fp: float = 0.0
    review_capacity_mult: np.ndarray = field(default_factory=lambda: np.ones(0))
    review_delay_mult: np.ndarray = field(default_factory=lambda: np.ones(0))
    return_block_prob: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [P]

    @classmethod
    def baseline(cls, n: int, n_platforms: int, guardian_abandon: float) -> Switches:
        """The 2019 world: nothing switched on."""
        P = n_platforms
        return cls(
            suggestible=np.ones((n, P), bool),
            no_adult_child_suggestions=np.zeros(P, bool),
            min_mutual_for_minors=np.zeros(P, np.int64),
            accept_mult=np.ones(n),
            block_mult=np.ones(n),
            report_mult=np.ones(n),
            guardian_mult=np.ones(n),
            guardian_abandon=np.full(n, float(guardian_abandon)),
            detect_platforms=np.zeros(P, bool),
            detect_base=np.zeros((P, len(Stage))),
            detect_mult=np.ones(P),
            review_capacity_mult=np.ones(P),
            review_delay_mult=np.ones(P),
            return_block_prob=np.zeros(P),
        )

    def detect_sens(self) -> np.ndarray:
        """Effective daily flag probability by platform and stage ([P, stage], clipped to 1)."""
        return np.minimum(self.detect_base * self.detect_mult[:, None], 1.0)

    def arrays(self, encrypted: np.ndarray) -> SwitchArrays:
        """The kernels' view (``encrypted[p]``: platforms that cannot be scanned)."""
        return SwitchArrays(
            self.accept_mult,
            self.block_mult,
            self.report_mult,
            self.guardian_mult,
            self.guardian_abandon,
            bool(self.detect_on),
            self.detect_sens(),
            self.detect_platforms & ~encrypted,
        )
