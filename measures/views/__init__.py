from . import evidence, followup, my, periods, reports, tasks

__all__ = ["evidence", "followup", "my", "periods", "reports", "tasks"]
