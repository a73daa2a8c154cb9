"""kpi time indexes: the time columns the KPI indicators filter periods on (users.created_at has one already)

Revision ID: 3c1f0a0b5005
Revises: 3c1f0a0b4004
Created: 2026-11-25 05:45:00
"""
from alembic import op


revision = '3c1f0a0b5005'
down_revision = '3c1f0a0b4004'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_proposal_supports_created_at', 'proposal_supports', 'created_at'),
    ('ix_proposal_endorsements_created_at', 'proposal_endorsements', 'created_at'),
    ('ix_comments_created_at', 'comments', 'created_at'),
    ('ix_proposals_published_at', 'proposals', 'published_at'),
    ('ix_proposal_answers_published_at', 'proposal_answers', 'published_at'),
)


def upgrade():
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade():
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
