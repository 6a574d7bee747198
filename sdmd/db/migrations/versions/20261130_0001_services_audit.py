"""services, their status history, and the append-only audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from sdmd.db.base import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AUDIT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "docker_service_configs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("compose_text", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_docker_service_configs"),
        sa.UniqueConstraint("name", name="uq_docker_service_configs_name"),
    )
    op.create_table(
        "docker_services",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["docker_service_configs.id"], ondelete="CASCADE",
                                name="fk_docker_services_service_id_docker_service_configs"),
        sa.PrimaryKeyConstraint("id", name="pk_docker_services"),
    )
    op.create_index("ix_docker_services_service_id", "docker_services", ["service_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("actor_email", sa.String(320), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("target_name", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("client_addr", sa.String(64), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_target_id", "audit_log", ["target_id"])
    _append_only_triggers()


def _append_only_triggers() -> None:
    """UPDATE, DELETE (and TRUNCATE) are refused by the database itself.

    The one exception is the retention purge: it sets a transaction-local flag
    (PostgreSQL: sdmd.audit_purge, SQLite: a row in audit_purge_gate) and may then delete
    only rows older than 90 days; younger rows stay protected even then.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE'
                 AND current_setting('sdmd.audit_purge', true) = 'on'
                 AND OLD.created_at < now() - interval '90 days' THEN
                RETURN OLD;
              END IF;
              RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        """)
        op.execute("""
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        """)
        op.execute("""
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
        """)
    else:
        op.execute("CREATE TABLE audit_purge_gate (open INTEGER NOT NULL)")
        op.execute("""
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (UPDATE refused)'); END;
        """)
        op.execute("""
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            WHEN NOT (EXISTS (SELECT 1 FROM audit_purge_gate)
                      AND OLD.created_at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-90 days'))
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (DELETE refused)'); END;
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TABLE audit_log")
        op.execute("DROP TABLE audit_purge_gate")
    op.drop_table("docker_services")
    op.drop_table("docker_service_configs")
