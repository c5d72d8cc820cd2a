"""Analysis: confidence intervals and summaries of replications."""

from samsim.analysis.stats import mean_ci, proportion_ci
from samsim.analysis.summary import cost_exchange, per_replication_table, summarise

__all__ = ["cost_exchange", "mean_ci", "per_replication_table", "proportion_ci", "summarise"]
