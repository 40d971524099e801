"""One verdict from the pace to date and the forecast's probability, and the sentence that says why.

The pace (:func:`onpace.kpi.status.status`: attainment to date against the status bands)
says where the KPI stands today; the forecast's probability says how likely the target is
by the period end. :func:`verdict` combines them so that the two never contradict each
other: a KPI is never *on track* with less than a 30% chance of meeting its target, nor
*off track* with more than 70%. ``docs/kpi-evaluation.md`` ("One verdict") has the table.

Once the period is over the verdict is *achieved* or *missed*, from the final actual
against the target alone; the forecast plays no part.
"""

from __future__ import annotations

from onpace.kpi.types import Status

#: Below this probability a KPI is never on track.
UNLIKELY = 0.30
#: Above this probability a KPI is never off track.
LIKELY = 0.70
#: At risk by pace, but at least this likely to meet the target: on track.
ALMOST_SURE = 0.90
#: At risk by pace, but less likely than this to meet the target: off track.
HOPELESS = 0.10

RUNNING = (Status.on_track, Status.at_risk, Status.off_track)


def verdict(pace: Status, probability: float | None) -> Status:
    """The status a KPI is given, from its status by pace and the probability of meeting its target.

    | pace | probability | verdict |
    |---|---|---|
    | on track | < 0.30 | at risk |
    | on track | >= 0.30 | on track |
    | at risk | < 0.10 | off track |
    | at risk | 0.10 .. < 0.90 | at risk |
    | at risk | >= 0.90 | on track |
    | off track | <= 0.70 | off track |
    | off track | > 0.70 | at risk |

    Without a probability (no forecast, no target), and for an ended period (achieved,
    missed) or no data, the pace's status stands.
    """
    if probability is None or pace not in RUNNING:
        return pace
    if pace == Status.on_track:
        return Status.at_risk if probability < UNLIKELY else Status.on_track
    if pace == Status.off_track:
        return Status.at_risk if probability > LIKELY else Status.off_track
    if probability >= ALMOST_SURE:
        return Status.on_track
    if probability < HOPELESS:
        return Status.off_track
    return Status.at_risk
