"""How much each part counts in a candidate's score: the one place for the weights.

The rules (``rules.py``) read these numbers when they rank; the pre-filter
(``prefilter.py``) reads ``MAX_RADIUS_KM`` for the size of the box it searches.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weights:
    """How much each part counts in a candidate's score (each part is 0…1; sum = 1).

    distance     1 at the place, 0 at ``MAX_RADIUS_KM × radius_factor``: nearer people
                 arrive sooner and are more likely to say yes.
    skill        1 for someone who lists only this skill, less for those who list many
                 (1 / (1 + SKILL_SPREAD × (skills − 1))): specialists first.
    continuity   1 when they served this beneficiary, or this phone number, before: an
                 elderly person does better with a face they know.
    reliability  completion rate of their claims, done / (done + released); newcomers
                 without a record count as ``NEW_RELIABILITY``.
    load         1 − active claims / open-task limit: spread the work.
    """

    distance: float = 0.40
    skill: float = 0.10
    continuity: float = 0.25
    reliability: float = 0.15
    load: float = 0.10


WEIGHTS = Weights()
NEW_RELIABILITY = 0.8  # the completion rate a newcomer counts as
SKILL_SPREAD = 0.15  # how much each further listed skill lowers the skill part
MAX_RADIUS_KM = 30.0  # the largest travel radius anyone may choose (sign-up form caps it)
