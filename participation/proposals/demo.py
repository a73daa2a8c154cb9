"""Demo proposals for みどり市: dozens of Japanese proposals with supports, endorsements and answers
(accepted / rejected / evaluating, one scheduled for the future). Bulk inserts keep it fast."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from participation.accounts.models import Area, User
from participation.common.time import local_today, utcnow
from participation.extensions import db
from participation.processes.models import Process
from participation.proposals.models import (AnswerTemplate, Proposal, ProposalAnswer, ProposalCategory,
                                            ProposalEndorsement, ProposalSupport)
from participation.comments.demo import add_demo_threads
from participation.moderation.models import Flag
from participation.notifications.models import Follow
from participation.proposals.services import ensure_builtin_states

BUS_IDEAS = [
    ("駅前に駐輪場を増やしてほしい", "朝の通勤時間帯は駅前の駐輪場がいつも満車です。屋根つきの駐輪場を増やしてください。"),
    ("北地区から市役所への直通バスを", "北地区から市役所へ行くには乗り換えが2回必要です。直通の便を1日数本でも走らせてほしいです。"),
    ("バス停にベンチと屋根を設置してください", "高齢の方がバスを待つ間に座れる場所がありません。特に病院前のバス停にお願いします。"),
    ("終バスの時間を30分遅くしてほしい", "残業のある日は終バスに間に合いません。金曜日だけでも延長を検討してください。"),
    ("バスの時刻表をスマートフォンで見られるように", "紙の時刻表しかないので、運行状況がわかるウェブページがあると便利です。"),
    ("通学時間帯の増便をお願いします", "朝7時台のバスは高校生で満員になり、乗れないことがあります。"),
    ("デマンド型交通を東地区で試してほしい", "東地区は路線バスが少ないので、予約して乗れる乗合タクシーを試行してください。"),
    ("ノンステップバスを増やしてください", "ベビーカーや車いすでも乗りやすいバスを増やしてほしいです。"),
    ("交通系ICカードを使えるようにしてほしい", "市内のコミュニティバスでも交通系ICカードで運賃を払えるようにしてください。"),
    ("バス路線図を多言語で", "外国から来た住民や観光客のために、英語・中国語・韓国語の路線図を作ってください。"),
    ("病院行きの循環バスを新設してほしい", "市民病院へ行く交通手段が少なく、タクシー代が負担です。"),
    ("高齢者の運賃割引を拡充してください", "免許を返納した高齢者がバスを使いやすいように、割引を広げてほしいです。"),
    ("自転車と公共交通の乗り継ぎを便利に", "駅とバス停の近くにシェアサイクルのポートを置いてください。"),
    ("バス停の名前をわかりやすく", "同じような名前のバス停が多く、初めての人は迷います。"),
    ("雪の日の運行情報を早めに知らせてほしい", "大雪の朝に運休かどうかがわからず困りました。メールで知らせてください。"),
    ("南地区のバス停まで歩道を整備してほしい", "バス停まで歩道がない道を歩くので危険です。"),
    ("休日の朝の便を増やしてください", "休日の朝は1時間に1本しかなく、不便です。"),
    ("子ども連れでも乗りやすい車内に", "ベビーカーを固定できるスペースを全車両に設けてほしいです。"),
    ("夜間のバス停を明るくしてほしい", "夜のバス停が暗くて不安です。照明を付けてください。"),
    ("乗り換え案内の掲示を駅に", "駅の改札を出たところに、バス乗り場の案内板をわかりやすく出してください。"),
    ("西地区の買い物バスを運行してほしい", "スーパーが閉店してから買い物が大変です。週2回でも買い物バスを。"),
    ("運転手さんの働き方の改善を", "運転手不足で減便にならないよう、待遇の改善を市からも支援してください。"),
    ("パークアンドライドの駐車場を整備", "郊外に車を止めてバスで中心部へ行けるようにしてほしいです。"),
    ("バスの車内でのマナー啓発を", "優先席の譲り合いなど、車内マナーのポスターを掲示してください。"),
]
PARK_IDEAS = [
    ("中央公園に大型遊具を設置してほしい", "小学生が思い切り遊べる大型の複合遊具がほしいです。"),
    ("公園のベンチを増やしてください", "散歩の途中で休める日陰のベンチが足りません。"),
    ("夜間照明をLEDに替えてほしい", "夜の公園が暗くて通り抜けるのが怖いです。明るいLED照明にしてください。"),
    ("公園のトイレをきれいに", "トイレが古く、子どもが使いたがりません。洋式のきれいなトイレに改修してください。"),
    ("ドッグランを作ってほしい", "犬を放して遊ばせられる区画があると、ほかの利用者とのトラブルも減ると思います。"),
    ("健康遊具を設置してください", "高齢者が体を動かせる健康遊具を置いてほしいです。"),
    ("公園に水飲み場を増やしてほしい", "夏場に水を飲める場所が一か所しかありません。"),
    ("芝生広場を広くしてほしい", "ボール遊びができる芝生広場を広げてください。"),
    ("公園の木陰を増やしてください", "夏の日差しが強く、木を植えて日陰を作ってほしいです。"),
    ("公園でマルシェを開きたい", "地元の野菜や手作り品を売るマルシェを定期的に開ける仕組みをつくってください。"),
    ("ボール遊びのルールを見直してほしい", "時間帯を決めてボール遊びができるようにしてください。"),
    ("公園の入口の段差をなくしてください", "車いすやベビーカーで入りにくい入口があります。"),
    ("防災倉庫とかまどベンチを", "災害時に使えるかまどベンチと防災倉庫を設置してください。"),
    ("公園の花壇を市民で手入れしたい", "ボランティアで花壇の手入れができる制度をつくってほしいです。"),
]
CATEGORIES = {
    "bus-network-2027": [("バス路線", "Bus routes"), ("バス停・設備", "Stops and facilities"),
                         ("運賃・サービス", "Fares and services")],
    "central-park-renewal": [("遊具", "Play equipment"), ("設備", "Facilities"), ("催し・活動", "Events")],
}


def load(admin: User) -> None:
    rng = random.Random(2027)
    states = ensure_builtin_states()
    residents = list(db.session.scalars(select(User).where(User.role == "resident").order_by(User.id)))
    staff = db.session.scalar(select(User).where(User.role == "staff")) or admin
    areas = list(db.session.scalars(select(Area).order_by(Area.position)))
    processes = {p.slug: p for p in db.session.scalars(select(Process).where(Process.slug.in_(CATEGORIES)))}
    if not residents or not processes:
        return
    now = utcnow()
    db.session.add(ProposalCategory(process_id=None, name_ja="その他", name_en="Other", position=99))
    for slug, names in CATEGORIES.items():
        for position, (ja, en) in enumerate(names):
            db.session.add(ProposalCategory(process_id=processes[slug].id, name_ja=ja, name_en=en, position=position))
    db.session.flush()
    year = local_today().year
    for slug, ideas, age_days in (("bus-network-2027", BUS_IDEAS, 18), ("central-park-renewal", PARK_IDEAS, 190)):
        process = processes[slug]
        categories = list(db.session.scalars(select(ProposalCategory.id).where(
            ProposalCategory.process_id == process.id)))
        rows = []
        for index, (title, body) in enumerate(ideas):
            published = now - timedelta(days=age_days - index * (age_days // (len(ideas) + 1)), hours=index)
            rows.append({"process_id": process.id, "author_id": residents[index % len(residents)].id,
                         "title": title, "body": body + "\n\n- 対象：市内全域\n- 理由：日々の暮らしで困っているため",
                         "category_id": categories[index % len(categories)],
                         "area_id": areas[index % len(areas)].id if areas and index % 3 else None,
                         "status": "withdrawn" if index == len(ideas) - 1 else "published",
                         "published_at": published, "withdrawn_at": now if index == len(ideas) - 1 else None,
                         "from_mobile": index % 3 != 0, "created_at": published, "updated_at": published})
        db.session.execute(insert(Proposal), rows)
        db.session.flush()
        proposals = list(db.session.scalars(select(Proposal).where(Proposal.process_id == process.id)
                                            .order_by(Proposal.id)))
        supports, endorsements = [], []
        for proposal in proposals:
            proposal.reference = f"P-{year}-{proposal.id:06d}"
            if proposal.status != "published":
                continue
            for user in rng.sample(residents, rng.randint(0, len(residents))):
                if process.support_limit and sum(1 for s in supports if s["user_id"] == user.id) >= process.support_limit:
                    continue
                supports.append({"proposal_id": proposal.id, "user_id": user.id, "created_at": now,
                                 "from_mobile": rng.random() < 0.7})
            for user in rng.sample(residents, rng.randint(0, 2)):
                endorsements.append({"proposal_id": proposal.id, "user_id": user.id, "created_at": now,
                                     "from_mobile": False})
        if supports:
            db.session.execute(insert(ProposalSupport), supports)
        if endorsements:
            db.session.execute(insert(ProposalEndorsement), endorsements)
        for table, column in ((ProposalSupport, "supports_count"), (ProposalEndorsement, "endorsements_count")):
            counted = (select(func.count(table.id)).where(table.proposal_id == Proposal.id).scalar_subquery())
            db.session.execute(update(Proposal).where(Proposal.process_id == process.id)
                               .values({column: counted}).execution_options(synchronize_session=False))
        _answers(process, proposals, states, staff, now)
        _social(process, proposals, residents, now)
    db.session.add_all([
        AnswerTemplate(title="検討中（担当課で検討）", body="いただいたご提案は、担当課で実現の可能性を検討しています。"
                       "結果がまとまりしだい、お知らせします。", state_id=states["evaluating"].id),
        AnswerTemplate(title="不採用（予算の都合）", body="貴重なご提案をありがとうございます。今回は予算の都合により"
                       "見送りますが、今後の計画の参考にします。", state_id=states["rejected"].id),
    ])
    db.session.flush()


def _answers(process, proposals, states, staff, now) -> None:
    published = [p for p in proposals if p.status == "published"]
    if process.slug == "central-park-renewal":
        plan = [("accepted", "来年度の改修工事で実施します。", 4_800_000, "2027年4月〜9月"),
                ("rejected", "公園の面積の都合により、今回は見送ります。", None, None),
                ("evaluating", "関係課と実施方法を検討しています。", None, None)]
        for index, proposal in enumerate(published):
            code, body, cost, period = plan[index % len(plan)]
            db.session.add(ProposalAnswer(proposal_id=proposal.id, state_id=states[code].id, body=body, cost=cost,
                                          execution_period=period, publish_at=now - timedelta(days=30),
                                          published_at=now - timedelta(days=30), answered_by_id=staff.id))
    else:
        db.session.add(ProposalAnswer(proposal_id=published[0].id, state_id=states["evaluating"].id,
                                      body="担当課で検討を始めました。", publish_at=now - timedelta(days=2),
                                      published_at=now - timedelta(days=2), answered_by_id=staff.id))
        # One answer waits for its scheduled time (the job publishes it).
        db.session.add(ProposalAnswer(proposal_id=published[1].id, state_id=states["accepted"].id,
                                      body="令和9年度のダイヤ改正で、朝夕に直通便を運行します。", cost=12_000_000,
                                      execution_period="2027年度", publish_at=now + timedelta(days=3),
                                      published_at=None, answered_by_id=staff.id))


FLAG_NOTES = ("同じ内容の提案がほかにもあります。", "宣伝のように見えます。", "この手続きとは関係がないと思います。")


def _social(process, proposals, residents, now) -> None:
    """Authors follow their proposals; comment threads on the first published ones; two proposals with
    an open report each; one hidden pending review after three reports (the default threshold)."""
    published = [p for p in proposals if p.status == "published"]
    db.session.execute(insert(Follow), [{"user_id": p.author_id, "target_type": "proposal", "target_id": p.id,
                                         "created_at": p.published_at} for p in proposals if p.author_id])
    add_demo_threads("proposal", published[:8], residents, seed=process.id, flag_one=process.slug == "bus-network-2027")
    flags = []
    for proposal in published[8:10]:
        reporter = next(u for u in residents if u.id != proposal.author_id)
        flags.append({"target_type": "proposal", "target_id": proposal.id, "reporter_id": reporter.id,
                      "reason": "off_topic", "details": FLAG_NOTES[2], "created_at": now - timedelta(hours=5)})
    if process.slug == "bus-network-2027" and len(published) > 10:
        hidden = published[10]
        reporters = [u for u in residents if u.id != hidden.author_id][:3]
        for reporter, reason, note in zip(reporters, ("spam", "spam", "off_topic"), FLAG_NOTES):
            flags.append({"target_type": "proposal", "target_id": hidden.id, "reporter_id": reporter.id,
                          "reason": reason, "details": note, "created_at": now - timedelta(hours=2)})
        hidden.hidden_at = now - timedelta(hours=2)
    if flags:
        db.session.execute(insert(Flag), flags)
    db.session.flush()
