"""content generation: one number that every change to public content increases

The whole-page cache for guests (participation/common/pagecache.py) keys pages by it, so a change
to anything a public page shows makes every cached page of the old number unreachable.

Revision ID: 5b7e9d2c4f10
Revises: 4d2e61c0a7b1
Created: 2026-12-03 17:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '5b7e9d2c4f10'
down_revision = '4d2e61c0a7b1'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'content_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade():
    op.drop_table('content_generation')
