"""papers drawn ahead for published campaigns

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drawn_paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("bank", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("paper", sa.Text(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("drawn_paper", schema=None) as batch_op:
        batch_op.create_index("ix_drawn_paper_campaign_bank", ["campaign_id", "bank"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("drawn_paper", schema=None) as batch_op:
        batch_op.drop_index("ix_drawn_paper_campaign_bank")
    op.drop_table("drawn_paper")
