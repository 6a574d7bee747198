"""hosts: Docker hosts besides `local`, and the host of each service in the mirror

Revision ID: 0010_hosts
Revises: 0001
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

from sdmd.db.base import UTCDateTime

revision = "0010_hosts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hosts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("url", sa.String(512), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("tls", sa.JSON, nullable=True),
        sa.Column("ssh_key", sa.JSON, nullable=True),
        sa.Column("host_key", sa.JSON, nullable=True),
        sa.Column("engine", sa.JSON, nullable=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hosts"),
        sa.UniqueConstraint("name", name="uq_hosts_name"),
    )
    # The mirror of x-sdmd.host in compose.yaml (git is the truth); no foreign key: a removed host's
    # services stay, orphaned, until the host comes back or they are deleted.
    # Plain ALTER TABLE ADD COLUMN (SQLite has it): never a table copy, which would cascade-delete the rows
    # that reference docker_service_configs.
    op.add_column("docker_service_configs",
                  sa.Column("host", sa.String(64), nullable=False, server_default="local"))
    op.create_index("ix_docker_service_configs_host", "docker_service_configs", ["host"])


def downgrade() -> None:
    op.drop_index("ix_docker_service_configs_host", table_name="docker_service_configs")
    op.drop_column("docker_service_configs", "host")
    op.drop_table("hosts")
