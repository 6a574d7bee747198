"""web (issue 18): the latest gitops reconcile rounds, for the GitOps page

Revision ID: 0018_web
Revises: 0004_gitops
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from sdmd.db.base import UTCDateTime

revision = "0018_web"
down_revision = "0004_gitops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gitops_rounds",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("scope", sa.JSON, nullable=True),
        sa.Column("commits", sa.JSON, nullable=False),
        sa.Column("remote", sa.JSON, nullable=True),
        sa.Column("stacks", sa.JSON, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gitops_rounds"),
    )


def downgrade() -> None:
    op.drop_table("gitops_rounds")
