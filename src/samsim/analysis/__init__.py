"""Analysis: confidence intervals, summaries of replications, tracking metrics."""

from samsim.analysis.continuity import match_tracks, time_to_track, track_continuity
from samsim.analysis.gospa import gospa
from samsim.analysis.stats import mean_ci, proportion_ci
from samsim.analysis.summary import cost_exchange, per_replication_table, summarise

__all__ = [
    "cost_exchange",
    "gospa",
    "match_tracks",
    "mean_ci",
    "per_replication_table",
    "proportion_ci",
    "summarise",
    "time_to_track",
    "track_continuity",
]
