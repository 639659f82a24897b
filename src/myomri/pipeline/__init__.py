"""End-to-end study pipeline: a study file -> T2, features, study, statistics, report.

``load_pipeline(path)`` validates a study file (every problem at once); ``run_pipeline(config,
outdir)`` runs the stages with per-stage caching and writes ``report.html``.
"""

from .config import PipelineConfig, SubjectSpec, load_pipeline, parse_pipeline
from .runner import RunResult, run_pipeline

__all__ = ["PipelineConfig", "SubjectSpec", "load_pipeline", "parse_pipeline", "RunResult", "run_pipeline"]
