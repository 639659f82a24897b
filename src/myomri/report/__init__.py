"""Reports: tables (Markdown/HTML), figures (PNG) and the self-contained ``report.html``."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "ReportInputs": ".html",
        "write_report": ".html",
        "write_study_outputs": ".study_tables",
        "render_performance_md": ".study_tables",
        "frame_to_html": ".tables",
        "markdown_to_html": ".tables",
    },
)
