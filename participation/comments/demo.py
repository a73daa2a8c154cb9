"""Demo comment threads for any registered target type (called by the proposals demo once the
'proposal' target exists: add_demo_threads("proposal", proposals, residents, staff))."""
from __future__ import annotations

import random
from datetime import timedelta

from participation.comments.models import Comment, CommentVote
from participation.comments.services import refresh_vote_counts, refresh_counter
from participation.common.targets import TARGETS, process_of_target
from participation.common.time import utcnow
from participation.extensions import db
from participation.moderation.models import Flag

OPENERS = [
    ("とても良い提案だと思います。子どもたちも安心して使えそうです。", 1),
    ("費用がどのくらいかかるのか、もう少し詳しく知りたいです。", 0),
    ("近所に住んでいますが、夜は人通りが少ないので防犯面が心配です。", -1),
    ("駅前の駐輪場はいつも満車なので、ぜひ進めてほしいです。", 1),
    ("似たような取り組みを隣の市でも見ました。参考になると思います。", 0),
]
REPLIES = [
    ("同感です。私も毎朝困っています。", 1),
    ("市の予算の資料に少し載っていました。", 0),
    ("防犯灯を増やせば解決できるのではないでしょうか。", 0),
    ("反対というより、場所をもう少し検討してほしいです。", -1),
]


def add_demo_threads(target_type: str, targets, residents, seed: int = 2026, flag_one: bool = True) -> int:
    """A few threads (with replies to depth 3 and votes) on each target; returns comments created."""
    rng = random.Random(seed)
    created = 0
    now = utcnow()
    flagged = False
    for target in targets:
        process = process_of_target(target)
        for n in range(rng.randint(1, 3)):
            body, alignment = rng.choice(OPENERS)
            root = Comment(target_type=target_type, target_id=target.id, process_id=getattr(process, "id", None),
                           depth=0, author_id=rng.choice(residents).id, body=body, alignment=alignment,
                           created_at=now - timedelta(days=rng.randint(1, 20), minutes=n))
            db.session.add(root)
            db.session.flush()
            created += 1
            parent = root
            for depth in range(1, rng.randint(1, 3)):
                body, alignment = rng.choice(REPLIES)
                parent = Comment(target_type=target_type, target_id=target.id, process_id=root.process_id,
                                 depth=depth, parent_id=parent.id, author_id=rng.choice(residents).id, body=body,
                                 alignment=alignment, created_at=root.created_at + timedelta(hours=depth))
                db.session.add(parent)
                db.session.flush()
                created += 1
            voters = [u for u in residents if u.id != root.author_id]
            for voter in rng.sample(voters, k=min(len(voters), rng.randint(0, 3))):
                db.session.add(CommentVote(comment_id=root.id, user_id=voter.id, value=rng.choice((1, 1, -1))))
            db.session.flush()
            refresh_vote_counts(root.id)
            if flag_one and not flagged:
                reporter = next((u for u in residents if u.id != root.author_id), None)
                if reporter is not None:
                    db.session.add(Flag(target_type="comment", target_id=root.id, reporter_id=reporter.id,
                                        reason="off_topic", details="提案と関係のない内容に見えます。"))
                    flagged = True
        if target_type in TARGETS:
            refresh_counter(target_type, target.id)
    return created
