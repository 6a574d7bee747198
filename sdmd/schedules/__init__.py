"""Update schedules: the scheduled_tasks table (source of truth), next-run times, rq-scheduler sync."""
