"""update schedules and the history of update runs

Revision ID: 0003_schedules
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from sdmd.db.base import UTCDateTime

revision = "0003_schedules"
down_revision = "0001"
branch_labels = None
depends_on = None

RUN_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scheduled_tasks",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("service_id", sa.String(32), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("day_of_week", sa.String(16), nullable=True),
        sa.Column("time_of_day", sa.String(8), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("next_run_at", UTCDateTime, nullable=True),
        sa.Column("last_run_at", UTCDateTime, nullable=True),
        sa.Column("last_result", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_tasks"),
        sa.ForeignKeyConstraint(["service_id"], ["docker_service_configs.id"], ondelete="CASCADE",
                                name="fk_scheduled_tasks_service_id_docker_service_configs"),
    )
    op.create_index("ix_scheduled_tasks_service_id", "scheduled_tasks", ["service_id"])
    op.create_table(
        "update_runs",
        sa.Column("id", RUN_ID, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(32), nullable=False),
        sa.Column("schedule_id", sa.String(32), nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("job_id", sa.String(128), nullable=True),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("images", sa.JSON, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_update_runs"),
        sa.ForeignKeyConstraint(["service_id"], ["docker_service_configs.id"], ondelete="CASCADE",
                                name="fk_update_runs_service_id_docker_service_configs"),
        sa.ForeignKeyConstraint(["schedule_id"], ["scheduled_tasks.id"], ondelete="SET NULL",
                                name="fk_update_runs_schedule_id_scheduled_tasks"),
    )
    op.create_index("ix_update_runs_service_id", "update_runs", ["service_id"])
    op.create_index("ix_update_runs_schedule_id", "update_runs", ["schedule_id"])


def downgrade() -> None:
    op.drop_table("update_runs")
    op.drop_table("scheduled_tasks")
