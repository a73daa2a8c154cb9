"""users.activity_version: moves with each of the person's supports

What a page shows a participant of their own activity that no public page shows (their supports used, the
proposals they support) is cached by it: see proposals.queries.viewer_figures.

Revision ID: 6c1f3a9e2b57
Revises: 5b7e9d2c4f10
Created: 2026-12-08 01:15:00
"""
import sqlalchemy as sa
from alembic import op


revision = '6c1f3a9e2b57'
down_revision = '5b7e9d2c4f10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('activity_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('activity_version')
