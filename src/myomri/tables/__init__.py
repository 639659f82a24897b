"""Tables: per-ROI statistics of quantitative maps, and other tidy tables built from the stages."""
