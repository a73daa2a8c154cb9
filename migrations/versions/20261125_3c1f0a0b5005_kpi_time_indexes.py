"""kpi time indexes: the time columns the KPI indicators filter periods on

A period's actions are read through covering indexes that start with the time column; "did this person
act before" (repeat participation) through (person, time). users.created_at has its index already.

Revision ID: 3c1f0a0b5005
Revises: 3c1f0a0b6006
Created: 2026-11-25 05:45:00
"""
from alembic import op


revision = '3c1f0a0b5005'
down_revision = '3c1f0a0b6006'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_proposal_supports_created_at', 'proposal_supports', ['created_at', 'user_id', 'from_mobile', 'proposal_id']),
    ('ix_proposal_supports_user_created', 'proposal_supports', ['user_id', 'created_at']),
    ('ix_proposal_endorsements_created_at', 'proposal_endorsements',
     ['created_at', 'user_id', 'from_mobile', 'proposal_id']),
    ('ix_proposal_endorsements_user_created', 'proposal_endorsements', ['user_id', 'created_at']),
    ('ix_comments_created_at', 'comments', ['created_at', 'author_id', 'from_mobile', 'process_id']),
    ('ix_comments_author_created', 'comments', ['author_id', 'created_at']),
    ('ix_proposals_published_at', 'proposals', ['published_at']),
    ('ix_proposals_author_published', 'proposals', ['author_id', 'published_at']),
    ('ix_proposal_answers_published_at', 'proposal_answers', ['published_at']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
