"""liability records (issue 16): the day an accident was found a liability accident and the
training reviews behind it 〔十四〕; an enterprise's actual controller 〔十八〕

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import safegov.db.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _record_columns() -> list[sa.Column]:
    """The columns every accepted record carries (``models._Record``)."""
    return [
        sa.Column("received_at", safegov.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raw_row_id", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("accident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("liability_found_on", sa.Date(), nullable=True))
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actual_controller", sa.String(length=100), nullable=True))

    op.create_table(
        "review",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("accident_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("training_failures", sa.Integer(), nullable=False),
        sa.Column("doc_ref", sa.String(length=200), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("accident_id", "record_id", name=op.f("uq_review_accident_id_record_id")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_accident_id"), ["accident_id"], unique=False)


def downgrade() -> None:
    op.drop_table("review")
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_column("actual_controller")
    with op.batch_alter_table("accident", schema=None) as batch_op:
        batch_op.drop_column("liability_found_on")
