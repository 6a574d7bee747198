"""merge the domain branches landed so far (auth+security, webhooks, web, registries, hosts) into one head

Each domain branches off an earlier revision and `sdmd migrate` upgrades every head; this revision only
joins them, so `alembic heads` names one revision again. It creates and changes nothing.

Revision ID: 0012_merge
Revises: 0012_security, 0012_webhooks, 0018_web, 0011_registries, 0010_hosts
Create Date: 2026-12-11
"""

revision = "0012_merge"
down_revision = ("0012_security", "0012_webhooks", "0018_web", "0011_registries", "0010_hosts")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
