from . import evidence, followup, my, reports, tasks

__all__ = ["evidence", "followup", "my", "reports", "tasks"]
