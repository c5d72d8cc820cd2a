"""The engine: the fixed-step loop over model stages for one replication."""

from samsim.engine.run import Paths, ReplicationResult, measure, run_replication

__all__ = ["Paths", "ReplicationResult", "measure", "run_replication"]
