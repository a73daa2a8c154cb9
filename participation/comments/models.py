"""Comments (threads up to depth 3) and their up/down votes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.common.models import UTCDateTime
from participation.common.submissions import SUBMISSION_KEY_MAX
from participation.common.time import utcnow
from participation.extensions import db
from participation.processes.models import Process

MAX_DEPTH = 2  # depth 0, 1, 2: three levels
MAX_LENGTH = 2000
ALIGNMENTS = (1, 0, -1)  # in favour, neutral, against


class Comment(db.Model):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int] = mapped_column(Integer)
    # Denormalised for KPI scopes.
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    alignment: Mapped[int] = mapped_column(SmallInteger, default=0)
    upvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    downvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    from_mobile: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The comment form's random key: a double submit stores one comment (see common/submissions.py).
    submission_key: Mapped[str | None] = mapped_column(String(SUBMISSION_KEY_MAX))

    author: Mapped[User | None] = relationship()
    process: Mapped[Process | None] = relationship()
    parent: Mapped["Comment | None"] = relationship(remote_side=[id])

    __table_args__ = (
        Index("ix_comments_target", "target_type", "target_id", "created_at"),
        # KPIs: actions of a period (covering) and "did this person act before"
        Index("ix_comments_created_at", "created_at", "author_id", "from_mobile", "process_id"),
        Index("ix_comments_author_created", "author_id", "created_at"),
        Index("uq_comments_author_submission_key", "author_id", "submission_key", unique=True),
        CheckConstraint("depth >= 0 AND depth <= 2", name="depth_range"),
        CheckConstraint("alignment IN (-1, 0, 1)", name="alignment_values"),
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None

    @property
    def score(self) -> int:
        return (self.upvotes or 0) - (self.downvotes or 0)


class CommentVote(db.Model):
    __tablename__ = "comment_votes"
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    value: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        UniqueConstraint("comment_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="value_sign"),
    )
