"""webhooks: per-service deploy webhooks and their calls (for rate limiting)

Revision ID: 0012_webhooks
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from sdmd.db.base import UTCDateTime

revision = "0012_webhooks"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("service_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(320), nullable=True),
        sa.Column("rotated_at", UTCDateTime, nullable=True),
        sa.Column("last_called_at", UTCDateTime, nullable=True),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.ForeignKeyConstraint(["service_id"], ["docker_service_configs.id"], ondelete="CASCADE",
                                name="fk_webhooks_service_id_docker_service_configs"),
        sa.PrimaryKeyConstraint("id", name="pk_webhooks"),
        sa.UniqueConstraint("secret_hash", name="uq_webhooks_secret_hash"),
    )
    op.create_index("ix_webhooks_service_id", "webhooks", ["service_id"])
    op.create_table(
        "webhook_calls",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("webhook_id", sa.String(32), nullable=True),
        sa.Column("client_addr", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_calls"),
    )
    op.create_index("ix_webhook_calls_created_at", "webhook_calls", ["created_at"])
    op.create_index("ix_webhook_calls_webhook_id", "webhook_calls", ["webhook_id"])
    op.create_index("ix_webhook_calls_client_addr", "webhook_calls", ["client_addr"])


def downgrade() -> None:
    op.drop_table("webhook_calls")
    op.drop_table("webhooks")
