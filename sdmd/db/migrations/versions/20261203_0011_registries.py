"""updates: credentials of private registries (the secret encrypted with the data dir's key), and the
commits of tag bumps on update runs

Revision ID: 0011_registries
Revises: 0003_schedules
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from sdmd.db.base import UTCDateTime

revision = "0011_registries"
down_revision = "0003_schedules"  # extends update_runs
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_credentials",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("server", sa.String(255), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("secret_kind", sa.String(16), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_credentials"),
        sa.UniqueConstraint("server", name="uq_registry_credentials_server"),
    )
    with op.batch_alter_table("update_runs") as batch:
        batch.add_column(sa.Column("commit", sa.String(64), nullable=True))
        batch.add_column(sa.Column("revert_commit", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("update_runs") as batch:
        batch.drop_column("revert_commit")
        batch.drop_column("commit")
    op.drop_table("registry_credentials")
