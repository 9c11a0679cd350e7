"""painsim: an in-silico laboratory for chronic back pain.

Virtual patients whose pain emerges from biological, psychological and social
feedback loops; care that acts on those loops; virtual trials; and evidence
synthesis equal to metafor.
"""

__version__ = "0.1.0"
