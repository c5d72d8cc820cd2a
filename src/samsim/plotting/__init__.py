"""Static figures of scenarios and results (PNG via matplotlib's Agg canvas)."""

from samsim.plotting.engagement_map import MapLayers, draw_engagement_map, map_figure_size_in

__all__ = ["MapLayers", "draw_engagement_map", "map_figure_size_in"]
