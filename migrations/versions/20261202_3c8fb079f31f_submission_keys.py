"""submission keys: a double submit of the new-proposal or comment form stores one row

A nullable random key per row, unique per author (a unique index, so SQLite needs no table rebuild).
Rows without a key (all existing ones, and posts from pages without a key) never conflict.

Revision ID: 3c8fb079f31f
Revises: 3c1f0a0b5005
Created: 2026-12-02 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '3c8fb079f31f'
down_revision = '3c1f0a0b5005'
branch_labels = None
depends_on = None

TABLES = ('proposals', 'comments')


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('submission_key', sa.String(length=64), nullable=True))
        op.create_index(f'uq_{table}_author_submission_key', table, ['author_id', 'submission_key'], unique=True)


def downgrade():
    for table in reversed(TABLES):
        op.drop_index(f'uq_{table}_author_submission_key', table_name=table)
        # Native DROP COLUMN (SQLite 3.35+): a batch rebuild would lose the proposals FTS triggers.
        op.drop_column(table, 'submission_key')
