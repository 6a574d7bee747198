"""gitops: per-folder reconcile state and the stacks repository's remote standing

Revision ID: 0004_gitops
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from sdmd.db.base import UTCDateTime

revision = "0004_gitops"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gitops_stacks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(32), nullable=True),
        sa.Column("applied_hash", sa.String(64), nullable=True),
        sa.Column("pending_hash", sa.String(64), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("error_hash", sa.String(64), nullable=True),
        sa.Column("orphaned_at", UTCDateTime, nullable=True),
        sa.Column("last_commit", sa.String(64), nullable=True),
        sa.Column("hashes_for", sa.String(64), nullable=True),
        sa.Column("service_hashes", sa.JSON, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_gitops_stacks"),
        sa.ForeignKeyConstraint(["service_id"], ["docker_service_configs.id"], ondelete="CASCADE",
                                name="fk_gitops_stacks_service_id_docker_service_configs"),
    )
    op.create_index("ix_gitops_stacks_service_id", "gitops_stacks", ["service_id"])
    op.create_table(
        "gitops_repo",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("head", sa.String(64), nullable=True),
        sa.Column("remote_head", sa.String(64), nullable=True),
        sa.Column("synced_at", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gitops_repo"),
    )


def downgrade() -> None:
    op.drop_table("gitops_repo")
    op.drop_index("ix_gitops_stacks_service_id", table_name="gitops_stacks")
    op.drop_table("gitops_stacks")
