"""Reports of studies: one self-contained HTML file with embedded plots."""

from samsim.report.html import ReportError, write_report
from samsim.report.summary import point_summaries, replication_metrics, swept_axes

__all__ = ["ReportError", "point_summaries", "replication_metrics", "swept_axes", "write_report"]
