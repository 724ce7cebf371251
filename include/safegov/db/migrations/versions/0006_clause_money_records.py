"""clause records (issue 16 items 3, 6): the safety fund in the budget and enterprises' safety
costs 〔十〕, referrals of accident information and assessments of key industries 〔十六〕

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import safegov.db.models

revision = "0006"
down_revision = "0005"
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
    op.create_table(
        "budget",
        _id(),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("fiscal_year", sa.String(length=16), nullable=False),
        sa.Column("fund_cny", sa.Float(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("doc_ref", sa.String(length=200), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget")),
        sa.UniqueConstraint("unit_code", "record_id", name=op.f("uq_budget_unit_code_record_id")),
    )
    with op.batch_alter_table("budget", schema=None) as batch_op:
        batch_op.create_index("ix_budget_eval", ["fiscal_year", "unit_code"], unique=False)

    op.create_table(
        "safety_cost",
        _id(),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=18), nullable=False),
        sa.Column("fiscal_year", sa.String(length=16), nullable=False),
        sa.Column("extracted_cny", sa.Float(), nullable=False),
        sa.Column("used_cny", sa.Float(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_cost")),
        sa.UniqueConstraint("enterprise_id", "record_id", name=op.f("uq_safety_cost_enterprise_id_record_id")),
    )
    with op.batch_alter_table("safety_cost", schema=None) as batch_op:
        batch_op.create_index("ix_safety_cost_eval", ["fiscal_year", "enterprise_id"], unique=False)

    op.create_table(
        "referral",
        _id(),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("accident_count", sa.Integer(), nullable=False),
        sa.Column("doc_ref", sa.String(length=200), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("unit_code", "record_id", name=op.f("uq_referral_unit_code_record_id")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index("ix_referral_eval", ["period", "unit_code"], unique=False)

    op.create_table(
        "assessment",
        _id(),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("industry", sa.String(length=64), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("doc_ref", sa.String(length=200), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("unit_code", "record_id", name=op.f("uq_assessment_unit_code_record_id")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_eval", ["assessed_on", "unit_code"], unique=False)


def downgrade() -> None:
    op.drop_table("assessment")
    op.drop_table("referral")
    op.drop_table("safety_cost")
    op.drop_table("budget")
