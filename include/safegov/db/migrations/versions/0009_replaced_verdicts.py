"""write each verdict once (issue 20): ``evaluation_history`` keeps the verdicts a later run
replaced, not a copy of every first decision; ``evaluation`` keeps two indexes

Before, ``evaluation_history`` held a row per change of status, the first decision
included, so every verdict of a first run was written twice. Now it holds the replaced
verdicts: the current one is the ``evaluation`` row. The conversion keeps every change:
each change row that a later change of the same key followed becomes the verdict it
replaced (its status, counted, reason and evidence, written at its ``changed_at`` by its
run, replaced at the next change's ``changed_at`` by the next change's run); a key's last
change is its ``evaluation`` row already. The downgrade rebuilds the change rows from the
replaced verdicts and the current rows (a current row's change is dated by its
``evaluated_at``: the last time it was written).

``ix_evaluation_period`` and ``ix_evaluation_unit_code`` go: readers across obligations
name the register's obligations and use ``ix_evaluation_dashboard``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import safegov.db.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEY = ["obligation_id", "subject_id", "period"]


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False)


def _verdict_columns() -> list[sa.Column]:
    return [
        sa.Column("obligation_id", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
    ]


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, safegov.db.models.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "evaluation_replaced",
        _id(),
        *_verdict_columns(),
        _moment("evaluated_at"),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        _moment("replaced_at"),
        sa.Column("replaced_by_run", sa.String(length=250), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_replaced")),
    )
    op.execute(
        """
        INSERT INTO evaluation_replaced (obligation_id, subject_id, period, status, counted, reason, evidence,
                                         evaluated_at, run_id, replaced_at, replaced_by_run)
        SELECT obligation_id, subject_id, period, status, counted, reason, evidence,
               changed_at, run_id, next_at, next_run
        FROM (
            SELECT h.*,
                   LEAD(h.changed_at) OVER (PARTITION BY obligation_id, subject_id, period ORDER BY id) AS next_at,
                   LEAD(h.run_id) OVER (PARTITION BY obligation_id, subject_id, period ORDER BY id) AS next_run,
                   LEAD(h.id) OVER (PARTITION BY obligation_id, subject_id, period ORDER BY id) AS next_id
            FROM evaluation_history h
        ) changes
        WHERE next_id IS NOT NULL
        ORDER BY id
        """
    )
    op.drop_table("evaluation_history")
    op.rename_table("evaluation_replaced", "evaluation_history")
    _history_constraints("evaluation_replaced")

    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_period")
        batch_op.drop_index(batch_op.f("ix_evaluation_unit_code"))


def _history_constraints(created_as: str) -> None:
    """The table renamed to ``evaluation_history`` gets that table's constraint names
    (PostgreSQL keeps the names a table was created with) and its index."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE evaluation_history RENAME CONSTRAINT pk_{created_as} TO pk_evaluation_history")
        op.execute(f"ALTER SEQUENCE {created_as}_id_seq RENAME TO evaluation_history_id_seq")
    with op.batch_alter_table("evaluation_history", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_history_key", KEY, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_unit_code"), ["unit_code"], unique=False)
        batch_op.create_index("ix_evaluation_period", ["period", "obligation_id", "status"], unique=False)

    op.create_table(
        "evaluation_changes",
        _id(),
        sa.Column("obligation_id", sa.String(length=40), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        *_verdict_columns()[1:3],
        sa.Column("previous_status", sa.String(length=12), nullable=True),
        *_verdict_columns()[3:],
        _moment("changed_at"),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_changes")),
    )
    # The versions of a key in order: its replaced verdicts, then its current row; each
    # becomes the change that made it, from the status of the version before.
    op.execute(
        """
        INSERT INTO evaluation_changes (obligation_id, subject_kind, subject_id, period, previous_status, status,
                                        counted, reason, evidence, changed_at, run_id)
        SELECT v.obligation_id, e.subject_kind, v.subject_id, v.period,
               LAG(v.status) OVER (PARTITION BY v.obligation_id, v.subject_id, v.period ORDER BY v.seq, v.id),
               v.status, v.counted, v.reason, v.evidence, v.at, v.run_id
        FROM (
            SELECT obligation_id, subject_id, period, status, counted, reason, evidence,
                   evaluated_at AS at, run_id, 0 AS seq, id
            FROM evaluation_history
            UNION ALL
            SELECT obligation_id, subject_id, period, status, counted, reason, evidence,
                   evaluated_at AS at, run_id, 1 AS seq, id
            FROM evaluation
        ) v
        JOIN evaluation e ON e.obligation_id = v.obligation_id AND e.subject_id = v.subject_id AND e.period = v.period
        ORDER BY v.seq, v.at, v.id
        """
    )
    op.drop_table("evaluation_history")
    op.rename_table("evaluation_changes", "evaluation_history")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE evaluation_history RENAME CONSTRAINT pk_evaluation_changes TO pk_evaluation_history")
        op.execute("ALTER SEQUENCE evaluation_changes_id_seq RENAME TO evaluation_history_id_seq")
    with op.batch_alter_table("evaluation_history", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_history_key", KEY, unique=False)
