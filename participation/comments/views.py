"""Comment endpoints (POST, redirect back to the target) and the thread macro's data loader."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from participation.accounts import services as account_services
from participation.comments import queries, services
from participation.comments.forms import CommentForm, EditCommentForm, VoteForm
from participation.comments.models import Comment
from participation.common.errors import DomainError, render_error
from participation.common.fragments import cached_html
from participation.common.numbers import parse_id
from participation.common.pagecache import exclude_viewer, part_filler
from participation.common.submissions import new_submission_key
from participation.common.targets import TARGETS, get_target_type, load_target
from participation.extensions import db
from participation.permissions import can, deny, is_active_user, is_signed_in

bp = Blueprint("comments", __name__)

account_services.DATA_EXPORTERS["comments"] = services.export_comments
account_services.DATA_EXPORTERS["comment_votes"] = services.export_comment_votes


@bp.app_template_global()
def comment_thread_data(target_type: str, target, page=None) -> queries.Thread:
    """Data for the comment_thread macro: `page` is a number, or None to read ?comments_page=."""
    if page is None or not str(page).isdigit():
        page = parse_id(request.args.get("comments_page"), max_digits=5) or 1
    # The user object itself, not the proxy: the macro asks who is viewing a few times per comment.
    viewer = current_user._get_current_object()
    thread = queries.thread_for(target_type, target.id, page=int(page), viewer=viewer)
    thread.reply_to = parse_id(request.args.get("reply_to"))
    for comment in thread.all_comments():
        exclude_viewer(comment.author_id)  # their edit and delete buttons: they get a page of their own
    return thread


@bp.app_template_global()
def comment_head(comment):
    """A comment's head and body (author, position, time, text), rendered once per distinct content:
    the key holds every value the fragment shows, so an edit, a hide or a rename renders it anew."""
    author_name = comment.author.public_name if comment.author else None
    return cached_html("comment-head", comment.id, author_name, comment.alignment, comment.created_at,
                       comment.edited_at is not None, comment.hidden_at is not None, comment.body,
                       render=lambda: _head_macro()(comment, author_name))


@bp.app_template_global()
def comment_article_html(comment, thread, target_type: str, can_post: bool):
    """A comment's article (head, own/others' actions, reply link; the votes are a viewer part), rendered once
    per everything it shows to this kind of viewer: the viewer enters the key only as signed in or not,
    author or not, and whether they moderate. The article with the open reply form (CSRF token, submission key) is never
    cached. Caching it makes a signed-in page of a long thread cost little more than a guest's."""
    render = lambda: _thread_macros().comment_article(comment, thread, target_type, can_post)  # noqa: E731
    if thread.reply_to == comment.id:
        return render()
    viewer = thread.viewer
    signed_in = viewer.is_authenticated
    author_name = comment.author.public_name if comment.author else None
    moderates = signed_in and comment.hidden_at is not None and can(viewer, "moderation.manage")
    return cached_html("comment-article", comment.id, author_name, comment.alignment, comment.created_at,
                       comment.edited_at is not None, comment.hidden_at is not None, comment.deleted_at is not None,
                       comment.body, comment.upvotes, comment.downvotes, comment.depth, comment.target_id,
                       target_type, thread.page, can_post, signed_in,
                       signed_in and comment.author_id == viewer.id, moderates, render=render)


@part_filler("comment_votes")
def comment_votes(facts: list[dict]) -> list[str]:
    """Each comment's vote counts as they are now and, where the viewer may vote, their buttons showing the
    viewer's own vote (a viewer part): one query for every comment of the page. Facts: id, buttons.

    The buttons submit the thread's one small form (id="comment-actions", which holds the CSRF token) to
    their own URL. Built from escaped pieces made once per call rather than by a macro: this runs for
    every viewer of every page, and the macro escaped the same labels again for each of 80 comments."""
    votes = queries.votes_with_mine([fact["id"] for fact in facts], current_user)
    counts = str(escape(_("%(up)d up, %(down)d down")))
    head, tail = (str(escape(piece)) for piece in url_for("comments.vote", comment_id=0).split("/0/"))
    buttons = {mine: _vote_buttons(mine) for mine in (None, 1, -1)}
    html = []
    for fact in facts:
        up, down, mine = votes.get(fact["id"], (0, 0, None))
        part = f"<span>{counts % {'up': up, 'down': down}}</span>"
        if fact["buttons"]:
            part += buttons.get(mine, buttons[None]).replace(_URL, f"{head}/{int(fact['id'])}/{tail}")
        html.append(part)
    return html


_URL = "\0url\0"  # where each comment's vote URL goes (a NUL cannot come from a translation or a URL)


def _vote_buttons(mine: int | None) -> str:
    """Both vote buttons for a viewer whose own vote is `mine` (1 up, -1 down, None): each button sets that
    vote or, when it is already theirs, takes it back."""
    def button(direction: int, value: str, label: str, remove: str) -> str:
        pressed = mine == direction
        return (f'<button type="submit" form="comment-actions" formaction="{_URL}" name="value" '
                f'value="{"none" if pressed else value}" class="link-button" '
                f'aria-pressed="{"true" if pressed else "false"}">{escape(remove if pressed else label)}</button>')

    return ("\n" + button(1, "up", _("Vote up"), _("Remove my up vote"))
            + "\n" + button(-1, "down", _("Vote down"), _("Remove my down vote")) + "\n")


@part_filler("submission_key")
def submission_keys(facts: list[dict]) -> list[str]:
    """A fresh key for each comment form of the page, for each viewer (see common/submissions.py)."""
    return [new_submission_key() for _fact in facts]


def _thread_macros():
    return current_app.jinja_env.get_template("comments/_thread.html").module


def _head_macro():
    return current_app.jinja_env.get_template("comments/_head.html").module.comment_head


@bp.app_template_global()
def may_comment(target_type: str, target) -> bool:
    kind = TARGETS.get(target_type)
    return kind is not None and services.may_comment(current_user, kind, target)


@bp.app_template_global()
def comment_form(parent_id=None) -> CommentForm:
    return CommentForm(formdata=None, parent_id=parent_id or "")


def _back(target_type: str, target, comment_id: int | None = None):
    url = TARGETS[target_type].url(target)
    return redirect(f"{url}#comment-{comment_id}" if comment_id else f"{url}#comments")


def _guest_or_403(back: str):
    """Guests sign in and come back to the page they were on (these URLs are POST-only)."""
    if not is_signed_in(current_user):
        return redirect(url_for("accounts.sign_in", next=back))
    return deny("comments")


@bp.route("/comments/<target_type>/<int:target_id>", methods=["POST"])
def create(target_type: str, target_id: int):
    kind = get_target_type(target_type)
    target = load_target(target_type, target_id)
    if not is_active_user(current_user):
        return _guest_or_403(kind.url(target))
    form = CommentForm()
    parent_id = form.parent_id.data
    if form.validate_on_submit():
        try:
            comment = services.post_comment(
                current_user, target_type, target_id, form.body.data, form.alignment.data,
                parent_id=parse_id(parent_id) if parent_id else None,
                submission_key=form.submission_key.key)
        except DomainError as error:
            db.session.rollback()
            if error.status_code in (403, 404):
                return render_template("comments/form.html", form=form, error=error.message, kind=kind,
                                       target=target, back=kind.url(target)), error.status_code
            form.body.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your comment has been published."), "success")
            return _back(target_type, target, comment.id)
    for hidden in (form.submission_key, form.parent_id):  # never typed by a person: a tampered or broken page
        if hidden.errors:
            return render_error(400, hidden.errors[0])
    return render_template("comments/form.html", form=form, kind=kind, target=target,
                           back=kind.url(target)), 422


def _load_comment(comment_id: int) -> Comment:
    return db.get_or_404(Comment, comment_id)


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    comment = _load_comment(comment_id)
    kind = get_target_type(comment.target_type)
    target = load_target(comment.target_type, comment.target_id)
    if not is_active_user(current_user):
        return _guest_or_403(TARGETS[comment.target_type].url(target))
    if comment.author_id != current_user.id:
        return deny("comments.own")
    form = EditCommentForm() if request.method == "POST" else EditCommentForm(
        data={"body": comment.body, "alignment": str(comment.alignment)})
    if form.validate_on_submit():
        try:
            services.edit_comment(current_user, comment, form.body.data, form.alignment.data)
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 403:
                return deny("comments.own")
            form.body.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your comment has been updated."), "success")
            return _back(comment.target_type, target, comment.id)
    status = 422 if request.method == "POST" else 200
    return render_template("comments/edit.html", form=form, comment=comment, kind=kind, target=target), status


@bp.route("/comments/<int:comment_id>/delete", methods=["POST"])
def delete(comment_id: int):
    comment = _load_comment(comment_id)
    target = load_target(comment.target_type, comment.target_id)
    if not is_active_user(current_user):
        return _guest_or_403(TARGETS[comment.target_type].url(target))
    if not VoteForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return _back(comment.target_type, target, comment.id)
    try:
        services.delete_comment(current_user, comment)
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 403:
            return deny("comments.own")
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("Your comment has been deleted."), "success")
    return _back(comment.target_type, target, comment.id)


@bp.route("/comments/<int:comment_id>/vote", methods=["POST"])
def vote(comment_id: int):
    comment = _load_comment(comment_id)
    target = load_target(comment.target_type, comment.target_id)
    if not is_active_user(current_user):
        return _guest_or_403(TARGETS[comment.target_type].url(target))
    form = VoteForm()
    values = {"up": 1, "down": -1, "none": 0}
    if not form.validate_on_submit() or form.value.data not in values:
        flash(_("Please check what you entered."), "error")
        return _back(comment.target_type, target, comment.id)
    try:
        services.vote_comment(current_user, comment, values[form.value.data])
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 403:
            return deny("comments.vote")
        flash(str(error.message), "error")
    else:
        db.session.commit()
    return _back(comment.target_type, target, comment.id)
