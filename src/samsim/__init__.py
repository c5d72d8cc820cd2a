"""samsim: open simulation and analysis of NASAMS-style ground-based air defence.

Notional public parameters and textbook physics, for analysis and education.
Not fire-control software; it talks to no real equipment.
"""

__version__ = "0.1.0"
