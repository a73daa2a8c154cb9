"""kpi snapshot key by period: the unique key of a figure starts with its period

A rebuild writes a year of figures period by period (about two million rows). With the key led by
the period, each period's rows go to one place of the index instead of fifteen scattered ones, and
the same index serves the lookups by period, so the separate period index goes.

Revision ID: 4d2e61c0a7b1
Revises: 3c8fb079f31f
Created: 2026-12-03 15:00:00
"""
from alembic import op


revision = '4d2e61c0a7b1'
down_revision = '3c8fb079f31f'
branch_labels = None
depends_on = None

OLD = ['code', 'scope_type', 'scope_id', 'dimension', 'dimension_value', 'period_type', 'period_start']
NEW = ['period_type', 'period_start', 'code', 'scope_type', 'scope_id', 'dimension', 'dimension_value']


def upgrade():
    with op.batch_alter_table('kpi_snapshots') as batch_op:
        batch_op.drop_index('ix_kpi_snapshots_period')
        batch_op.drop_constraint('uq_kpi_snapshots_figure', type_='unique')
        batch_op.create_unique_constraint('uq_kpi_snapshots_figure', NEW)


def downgrade():
    with op.batch_alter_table('kpi_snapshots') as batch_op:
        batch_op.drop_constraint('uq_kpi_snapshots_figure', type_='unique')
        batch_op.create_unique_constraint('uq_kpi_snapshots_figure', OLD)
        batch_op.create_index('ix_kpi_snapshots_period', ['period_type', 'period_start'], unique=False)
