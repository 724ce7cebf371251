"""clause records (issue 16): the enterprise's supervising department 〔八〕, the
enforcement plan 〔八〕, enforcement staff, their training and an inspection's officers 〔九〕

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import safegov.db.models

revision = "0005"
down_revision = "0004"
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


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervising_department_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_enterprise_supervising_department_id"), ["supervising_department_id"], unique=False
        )

    op.create_table(
        "plan",
        _id(),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("doc_ref", sa.String(length=200), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("unit_code", "record_id", name=op.f("uq_plan_unit_code_record_id")),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index("ix_plan_eval", ["effective_on", "unit_code"], unique=False)

    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("certified_on", sa.Date(), nullable=True),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("received_at", safegov.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("raw_row_id", sa.BigInteger(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff")),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_unit_code"), ["unit_code"], unique=False)

    op.create_table(
        "training",
        _id(),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("certificate_ref", sa.String(length=200), nullable=True),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training")),
        sa.UniqueConstraint("staff_id", "record_id", name=op.f("uq_training_staff_id_record_id")),
    )
    with op.batch_alter_table("training", schema=None) as batch_op:
        batch_op.create_index("ix_training_eval", ["staff_id", "trained_on"], unique=False)

    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("officer_ids", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_column("officer_ids")
    op.drop_table("training")
    op.drop_table("staff")
    op.drop_table("plan")
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_supervising_department_id"))
        batch_op.drop_column("supervising_department_id")
