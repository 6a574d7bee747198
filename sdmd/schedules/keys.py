"""Redis keys the schedules share between the API, the worker and `sdmd scheduler`.

A module of their own: the scheduler's loop reads the marker without loading the schedules' database
code (sdmd/schedules/scheduler.py).
"""

JOB_PREFIX = "sdmd-schedule-"
RECONCILE_LOCK = "sdmd:schedules:reconcile"
# Set by every reconcile. Gone means Redis restarted empty or was flushed: the scheduler reconciles
# at its next tick instead of waiting for the periodic round (issue 19).
SYNCED_MARKER = "sdmd:schedules:synced"
