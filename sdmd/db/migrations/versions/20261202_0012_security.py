"""security: two-factor login (TOTP, recovery codes, login challenges), API tokens, run-time settings,
the session's assurance level, and which credential acted in each audit record

Revision ID: 0012_security
Revises: 0002_auth
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from sdmd.db.base import UTCDateTime

revision = "0012_security"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (no batch copy): SQLite keeps audit_log's append-only triggers.
    op.add_column("auth_sessions", sa.Column("aal", sa.String(8), nullable=False, server_default="aal1"))
    op.add_column("auth_sessions", sa.Column("mfa_method", sa.String(16), nullable=True))
    op.add_column("audit_log", sa.Column("actor_token_id", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("actor_token_name", sa.String(128), nullable=True))
    op.create_index("ix_audit_log_actor_token_id", "audit_log", ["actor_token_id"])

    op.create_table(
        "user_mfa",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("enabled_at", UTCDateTime, nullable=True),
        sa.Column("last_step", sa.BigInteger, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name="fk_user_mfa_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", name="pk_user_mfa"),
    )
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_mfa_recovery_codes_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_mfa_recovery_codes"),
    )
    op.create_index("ix_mfa_recovery_codes_user_id", "mfa_recovery_codes", ["user_id"])
    op.create_table(
        "mfa_challenges",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("upstream", sa.Text, nullable=True),
        sa.Column("client_addr", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mfa_challenges"),
        sa.UniqueConstraint("token_hash", name="uq_mfa_challenges_token_hash"),
    )
    op.create_index("ix_mfa_challenges_expires_at", "mfa_challenges", ["expires_at"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("owner_email", sa.String(320), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.Column("last_used_at", UTCDateTime, nullable=True),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.Column("created_aal", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_owner_id", "api_tokens", ["owner_id"])
    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_app_settings"),
    )


def downgrade() -> None:
    op.drop_table("app_settings")
    op.drop_table("api_tokens")
    op.drop_table("mfa_challenges")
    op.drop_table("mfa_recovery_codes")
    op.drop_table("user_mfa")
    op.drop_index("ix_audit_log_actor_token_id", "audit_log")
    op.drop_column("audit_log", "actor_token_name")
    op.drop_column("audit_log", "actor_token_id")
    op.drop_column("auth_sessions", "mfa_method")
    op.drop_column("auth_sessions", "aal")
