"""penalty records (#15 item 2) and the ground, legal basis, penalty and deciding authority of blacklist entries

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:11:03.385495
"""

import sqlalchemy as sa
from alembic import op

import safegov.db.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "penalty",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("penalty_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=18), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("basis_kind", sa.String(length=64), nullable=False),
        sa.Column("basis_id", sa.String(length=64), nullable=True),
        sa.Column("amount_cny", sa.Float(), nullable=True),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("received_at", safegov.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raw_row_id", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_penalty")),
        sa.UniqueConstraint("penalty_id", name=op.f("uq_penalty_penalty_id")),
    )
    with op.batch_alter_table("penalty", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_penalty_enterprise_id"), ["enterprise_id"], unique=False)

    with op.batch_alter_table("blacklist_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ground", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("legal_basis", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("penalty_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("document_ref", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("blacklist_entry", schema=None) as batch_op:
        batch_op.drop_column("document_ref")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("penalty_id")
        batch_op.drop_column("legal_basis")
        batch_op.drop_column("ground")

    with op.batch_alter_table("penalty", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_penalty_enterprise_id"))

    op.drop_table("penalty")
