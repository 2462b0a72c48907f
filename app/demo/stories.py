"""Playing the requests' stories through the app's own use cases, in the order of time.

Every step of every story is put on one timeline and run when the clock reaches it, so
each use case sees the county as it was at that moment (who held which task, which
offers were open). A request is made by ``intake.submit_request`` and moved only by
``console`` (accept, reject, assign, escalate, merge, close), ``claims`` (accept_offer,
decline_offer, claim_for, dispatch, release, check_in, check_out), ``tracking`` (cancel,
confirm_done, not_solved, rate) and the worker jobs' units (``offers.expire_offers_of``,
``reminders.auto_close``): offers come from ``offers.send_offers`` as the rules make them. When the rules refuse a step (say nobody fitted an offer round and the
request was escalated instead), the story ends there, in a state the rules allowed.
"""

from __future__ import annotations

import heapq
from decimal import Decimal

from sqlalchemy import select

from app.demo import data as D
from app.demo.requests import Story
from app.demo.state import Demo
from app.extensions import db
from app.models import User
from app.services import (
    ServiceError,
    claims,
    console,
    intake,
    matching,
    offers,
    reminders,
    tracking,
)

DEMO_VOLUNTEER = "zhiyuanzhe"


def play(demo: Demo, stories: list[Story]) -> None:
    """Run every story's steps (creation first) in the order of their times."""
    due = [(story.created, index, -1) for index, story in enumerate(stories)]
    heapq.heapify(due)
    player = _Player(demo)
    while due:
        when, index, step_no = heapq.heappop(due)
        story = stories[index]
        demo.at(when)
        if step_no < 0:
            story.request = intake.submit_request(**story.fields)
        else:
            step = story.steps[step_no]
            try:
                getattr(player, step)(story)
            except (ServiceError, _Stop) as refusal:
                story.stopped = f"{step}: {refusal}"
                continue
        db.session.flush()  # stamps written now carry this moment (updated_at)
        if step_no + 1 < len(story.steps):
            heapq.heappush(due, (story.times[step_no + 1], index, step_no + 1))


def check_out_now(demo: Demo, claim, doer, category: str) -> None:
    """The doer checks out at the demo's "now": the time since check-in, to the half hour
    (at least half an hour), as the hours; a plausible outcome and welfare note."""
    minutes = (demo.clock.at - claim.checked_in_at).total_seconds() / 60
    hours = min(Decimal("24"), max(Decimal("0.5"), Decimal(round(minutes / 30)) / 2))
    claims.check_out(
        claim,
        actor=doer,
        outcome=demo.rng.choice(D.OUTCOMES[category]),
        hours=hours,
        welfare_note=demo.rng.choice(D.WELFARE_NOTES),
    )


class _Stop(Exception):
    """The story cannot go on: what it needs (an open offer, a target) is not there."""


class _Player:
    """One method per step; each calls the use case a person would have used."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.rng = demo.rng

    # ---- the station

    def accept(self, story: Story) -> None:
        console.accept(story.request, story.worker)

    def reject(self, story: Story) -> None:
        console.reject(story.request, story.worker, self.rng.choice(D.REJECT_NOTES))

    def escalate(self, story: Story) -> None:
        console.escalate(story.request, story.worker, D.ESCALATE_NOTE)

    def merge(self, story: Story) -> None:
        console.merge(story.request, story.worker, story.duplicate_of.request)

    def assign_worker(self, story: Story) -> None:
        note = D.ASSIGN_NOTES[story.request.category]
        story.claim = console.assign(story.request, story.worker, worker=story.worker, note=note)
        story.claimer = story.doer = story.worker

    def close(self, story: Story) -> None:
        console.close(story.request, story.worker, D.STATION_CLOSE_NOTE)

    # ---- volunteers and teams

    def decline_all(self, story: Story) -> None:
        """Everyone asked in this round says no; the rules start the next round (or, after
        the last, escalate)."""
        pending = offers.pending_offers(story.request)
        if not pending:
            raise _Stop("no open offer")
        for offer in pending:
            claims.decline_offer(offer, user=offers.offer_recipient(offer))

    def expire(self, story: Story) -> None:
        """The worker's expiry job reaches the request: its offers lapse, and the rules
        start the next round (or, after the last, escalate)."""
        if not offers.expire_offers_of(story.request):
            raise _Stop("no offer to expire")

    def claim(self, story: Story, *, team: bool = False) -> None:
        if story.for_demo_volunteer and self._demo_volunteer_takes(story):
            return
        pending = offers.pending_offers(story.request)
        # The wanted kind (a team's offer or a volunteer's) first, then by rank.
        pending.sort(key=lambda o: ((o.team_id is None) == team, o.round, o.rank, o.id))
        for offer in pending:
            holder = offers.offer_recipient(offer)
            if not self._keeps_room(holder):
                continue
            via = self.rng.choice(["web", "sms"]) if offer.volunteer_id else "web"
            try:
                story.claim = claims.accept_offer(offer, user=holder, via=via)
            except ServiceError:
                continue  # at their task limit, or no longer fitting: the next one says yes
            story.claimer = story.doer = holder
            if offer.team_id is not None:
                self._dispatch(story, offer.team, holder)
            return
        raise _Stop("nobody could take it")

    def _demo_volunteer_takes(self, story: Story) -> bool:
        """The demo volunteer answers their offer, or takes the task from the nearby list."""
        volunteer = db.session.scalar(select(User).where(User.username == DEMO_VOLUNTEER))
        if not self._keeps_room(volunteer):
            return False
        mine = next(
            (o for o in offers.pending_offers(story.request) if o.volunteer_id == volunteer.id),
            None,
        )
        try:
            if mine is not None:
                story.claim = claims.accept_offer(mine, user=volunteer, via="sms")
            else:
                story.claim = claims.claim_for(story.request, by=volunteer)
        except ServiceError:
            return False
        story.claimer = story.doer = volunteer
        return True

    def claim_team(self, story: Story) -> None:
        self.claim(story, team=True)

    def _dispatch(self, story: Story, team, leader) -> None:
        """The leader hands the team's task to a member who may do it (else goes)."""
        members = list(self.demo.team_members.get(team.id, [])[1:])
        self.rng.shuffle(members)
        for member in members:
            if not self._keeps_room(member):
                continue
            try:
                claims.dispatch(story.claim, actor=leader, member=member)
            except ServiceError:
                continue
            story.doer = member
            return

    @staticmethod
    def _keeps_room(user) -> bool:
        """The demo volunteer takes no task that would fill their last free place: whoever
        signs in as them can still take one (the browser journey does)."""
        if user is None or user.username != DEMO_VOLUNTEER:
            return True
        return matching.open_claims_count(user.id) < user.volunteer.open_task_limit - 1

    def release(self, story: Story) -> None:
        claims.release(story.claim, actor=story.claimer, reason=D.RELEASE_REASON)
        story.claim = story.claimer = story.doer = None

    def check_in(self, story: Story) -> None:
        request = story.request
        lat, lon = self.demo.jitter(request.lat, request.lon, 0.05)
        claims.check_in(story.claim, actor=story.doer, lat=lat, lon=lon)

    def check_out(self, story: Story) -> None:
        check_out_now(self.demo, story.claim, story.doer, story.request.category)

    def auto_close(self, story: Story) -> None:
        """The worker's job closes a request left done, unanswered, for a week."""
        if not reminders.auto_close(story.request):
            raise _Stop("not done any more")

    # ---- the resident

    def cancel(self, story: Story) -> None:
        tracking.cancel(story.request, reason=self.rng.choice(D.CANCEL_NOTES))

    def reopen(self, story: Story) -> None:
        tracking.not_solved(story.request, note=D.REOPEN_NOTE)

    def confirm(self, story: Story) -> None:
        tracking.confirm_done(story.request)
        if self.rng.random() < 0.7:
            self.demo.clock.advance(minutes=1)
            stars = self.rng.choices([5, 4, 3], [6, 3, 1])[0]
            tracking.rate(
                story.request, stars=stars, comment=self.rng.choice(D.RATING_COMMENTS[stars])
            )
