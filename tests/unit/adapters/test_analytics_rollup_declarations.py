"""Every figure a dashboard can ask for is kept: each metric is declared in exactly one family
(the keeper deletes a family's metrics before recounting them, so a metric in two families
would be wiped by the other's recount), and every family declares something."""

from __future__ import annotations

from elearn.adapters.persistence.analytics_rollups import _ROLLUPS
from elearn.domain.analytics.metrics import Family, Metric


def test_each_metric_belongs_to_one_family_and_each_family_keeps_some() -> None:
    owners: dict[Metric, set[Family]] = {}
    for family, rollups in _ROLLUPS.items():
        assert rollups, family
        for rollup in rollups:
            owners.setdefault(rollup.metric, set()).add(family)
    assert set(_ROLLUPS) == set(Family)
    assert set(owners) == set(Metric)
    assert all(len(families) == 1 for families in owners.values())
