"""report.html for a crawl's run folder and for a compare folder: self-contained pages that
show the timeline of every worker, the numbers, and the run's own thumbnails."""

from report.compare_report_html import write_compare_report
from report.run_report import write_run_report

__all__ = ["write_compare_report", "write_run_report"]
