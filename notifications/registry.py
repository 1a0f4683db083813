"""What the apps that send notices tell this one, so that it never imports them.

- `scope`: a function (user) -> Q over Notification, deciding which notices the user still sees
  (a notice is scoped like its object: its zone or agency). Without one, a user sees all their own.
- `manager_ids`: a function () -> set of user ids that the managers' channel stands for.
- periodic jobs: name -> (function(now), cadence), run by `manage.py run_periodic` at most once per
  window whatever the number of hosts.
"""

from dataclasses import dataclass

from django.db.models import Q

_scope = None
_jobs = {}


@dataclass(frozen=True)
class Job:
    name: str
    function: object
    cadence: str  # "minute" or "day"


def register_scope(function):
    global _scope
    _scope = function


def scope_for(user):
    return _scope(user) if _scope is not None else Q()


def register_job(name, function, cadence):
    if cadence not in ("minute", "day"):
        raise ValueError(f"unknown cadence {cadence!r}")
    _jobs[name] = Job(name, function, cadence)


def jobs():
    return dict(_jobs)
