"""accident reports (issue 16 item 5, 〔十五〕): each hop of an accident's report up the chain
(accident_report) and, on the accident, where it became known and whether it was 较大涉险;
emergency drills 〔十三〕 (drill, issue 16 item 8)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import safegov.db.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("known_from", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("source_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("near_miss_larger", sa.Boolean(), nullable=True))

    op.create_table(
        "accident_report",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("accident_id", sa.String(length=64), nullable=False),
        sa.Column("reporter", sa.String(length=64), nullable=False),
        sa.Column("reported_to", sa.String(length=64), nullable=False),
        sa.Column("reported_at", safegov.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", safegov.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raw_row_id", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accident_report")),
        sa.UniqueConstraint(
            "accident_id", "reporter", "reported_to", name=op.f("uq_accident_report_accident_id_reporter_reported_to")
        ),
    )
    with op.batch_alter_table("accident_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accident_report_accident_id"), ["accident_id"], unique=False)

    op.create_table(
        "drill",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("plan_ref", sa.String(length=200), nullable=False),
        sa.Column("doc_ref", sa.String(length=200), nullable=False),
        sa.Column("received_at", safegov.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raw_row_id", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill")),
        sa.UniqueConstraint("unit_code", "record_id", name=op.f("uq_drill_unit_code_record_id")),
    )
    with op.batch_alter_table("drill", schema=None) as batch_op:
        batch_op.create_index("ix_drill_eval", ["held_on", "unit_code"], unique=False)


def downgrade() -> None:
    op.drop_table("drill")
    op.drop_table("accident_report")
    with op.batch_alter_table("accident", schema=None) as batch_op:
        batch_op.drop_column("near_miss_larger")
        batch_op.drop_column("source_ref")
        batch_op.drop_column("known_from")
