"""Proposal list: a stored random key and one partial index per list order.

Revision ID: 3c1f0a0b6006
Revises: 3c1f0a0b7007
Create Date: 2026-11-25 05:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '3c1f0a0b6006'
down_revision = '3c1f0a0b7007'
branch_labels = None
depends_on = None

VISIBLE = {
    'ix_proposals_visible_recent': 'published_at',
    'ix_proposals_visible_supports': 'supports_count',
    'ix_proposals_visible_endorsements': 'endorsements_count',
    'ix_proposals_visible_comments': 'comments_count',
    'ix_proposals_visible_random': 'random_key',
}
OLD = {
    'ix_proposals_listing': ('status', 'hidden_at', 'published_at'),
    'ix_proposals_process_supports': ('supports_count',),
    'ix_proposals_process_endorsements': ('endorsements_count',),
    'ix_proposals_process_comments': ('comments_count',),
}


def upgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('random_key', sa.Integer(), server_default='0', nullable=False))
    # Existing rows get their random place once (new rows get one from the model's default).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE proposals SET random_key = floor(random() * 2000000000)::integer")
    else:
        op.execute("UPDATE proposals SET random_key = abs(random() % 2000000000)")
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        for name in OLD:
            batch_op.drop_index(name)
    for name, column in VISIBLE.items():
        op.create_index(name, 'proposals', ['process_id', 'status', column, 'id'], unique=False,
                        sqlite_where=sa.text('hidden_at IS NULL'), postgresql_where=sa.text('hidden_at IS NULL'))


def downgrade():
    for name in VISIBLE:
        op.drop_index(name, table_name='proposals')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        for name, columns in OLD.items():
            batch_op.create_index(name, ['process_id', *columns], unique=False)
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): no table copy, so the FTS triggers stay.
    op.drop_column('proposals', 'random_key')
