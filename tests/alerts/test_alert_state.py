"""The alert state machine, path by path, and a property test over random evaluation sequences."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from onpace.services.alert_state import ERROR, SeriesState, Settings, Step, step

T0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


DEFAULT = Settings()


def run(outcomes, conf=DEFAULT, *, muted=(), start=None, every=DAY):
    """Feed ``outcomes`` one a day; return the steps."""
    state, steps = start or SeriesState(), []
    for i, outcome in enumerate(outcomes):
        s = step(state, outcome, T0 + i * every, conf, muted=i in muted)
        steps.append(s)
        state = s.state
    return steps


def states(steps: list[Step]) -> list[str]:
    return [s.state.state for s in steps]


def messages(steps: list[Step]) -> list[str | None]:
    return [s.message for s in steps]


def test_fires_at_once_and_resolves_then_normal():
    steps = run([False, True, True, False, False])
    assert states(steps) == ["normal", "firing", "firing", "resolved", "normal"]
    assert messages(steps) == [None, "firing", None, "resolved", None]
    assert [s.transition for s in steps] == [
        None,
        ("normal", "firing"),
        None,
        ("firing", "resolved"),
        ("resolved", "normal"),
    ]


def test_pending_for_n_evaluations():
    conf = Settings(pending_evaluations=3)
    steps = run([True, True, False, True, True, True], conf)
    assert states(steps) == ["pending", "pending", "normal", "pending", "pending", "firing"]
    assert messages(steps) == [None, None, None, None, None, "firing"]


def test_pending_for_a_duration():
    conf = Settings(pending_duration=dt.timedelta(hours=36))
    # evaluations every 12 hours: pending from 0 h, fires at 36 h (the 4th evaluation)
    steps = run([True, True, True, True], conf, every=dt.timedelta(hours=12))
    assert states(steps) == ["pending", "pending", "pending", "firing"]
    assert steps[3].state.since == T0 + dt.timedelta(hours=36)


def test_no_resolution_message_when_not_configured():
    steps = run([True, False], Settings(notify_on_resolve=False))
    assert messages(steps) == ["firing", None]
    assert states(steps) == ["firing", "resolved"]


def test_renotify_while_firing():
    conf = Settings(renotify_every=dt.timedelta(days=3))
    steps = run([True] * 8, conf)
    # fired on day 0, re-notified on day 3 and day 6
    assert messages(steps) == ["firing", None, None, "renotify", None, None, "renotify", None]


def test_mute_records_transitions_without_messages_and_tells_after():
    steps = run([True, True, True, False], muted={0, 1})
    assert states(steps) == ["firing", "firing", "firing", "resolved"]
    assert steps[0].transition == ("normal", "firing")
    assert messages(steps) == [None, None, "firing", "resolved"]
    assert steps[0].suppressed == "firing"


def test_muted_throughout_sends_nothing():
    steps = run([True, True, False, True, False], muted=set(range(5)))
    assert messages(steps) == [None] * 5
    assert states(steps) == ["firing", "firing", "resolved", "firing", "resolved"]


def test_no_data_state_and_back_without_a_second_firing_message():
    steps = run([True, None, None, True, False])
    assert states(steps) == ["firing", "no_data", "no_data", "firing", "resolved"]
    assert messages(steps) == ["firing", None, None, None, "resolved"]


def test_no_data_policies():
    assert states(run([True, None], Settings(no_data="keep"))) == ["firing", "firing"]
    assert states(run([True, None], Settings(no_data="ok"))) == ["firing", "resolved"]
    assert messages(run([None], Settings(no_data="alerting"))) == ["firing"]


def test_error_and_recovery():
    steps = run([False, ERROR, ERROR, False, True])
    assert states(steps) == ["normal", "error", "error", "normal", "firing"]
    assert [s.transition for s in steps][1:4] == [("normal", "error"), None, ("error", "normal")]
    assert messages(steps) == [None, None, None, None, "firing"]


def test_error_while_firing_then_clear_sends_the_resolution():
    steps = run([True, ERROR, False])
    assert states(steps) == ["firing", "error", "resolved"]
    assert messages(steps) == ["firing", None, "resolved"]


def test_flapping_holds_firing_with_one_message():
    conf = Settings(flapping_changes=3, flapping_window=10)
    outcomes = [True, False, True, False, True, False, True, False] + [False] * 8
    steps = run(outcomes, conf)
    # the condition changes at evaluations 2, 3, ... 8; at the 5th it has changed 4 times (> 3) within
    # the last 10 evaluations: the series fires with a "flapping" message and is held firing
    assert messages(steps)[:5] == ["firing", "resolved", "firing", "resolved", "flapping"]
    assert steps[4].flapping and steps[4].transition == ("resolved", "firing")
    assert states(steps)[4:14] == ["firing"] * 10
    assert messages(steps)[5:14] == [None] * 9
    # at the 15th evaluation only 3 changes (6, 7, 8) are left in the window (6..15): it resolves
    assert steps[14].transition == ("firing", "resolved") and steps[14].message == "resolved"
    assert states(steps)[15] == "normal"


def test_flapping_off():
    outcomes = [True, False] * 5
    steps = run(outcomes, Settings(flapping_changes=None))
    assert messages(steps) == ["firing", "resolved"] * 5


# -- the property: no message storm ---------------------------------------------------------------

outcome = st.sampled_from([True, False, None, ERROR])
conf_strategy = st.builds(
    Settings,
    pending_evaluations=st.one_of(st.none(), st.integers(1, 4)),
    notify_on_resolve=st.booleans(),
    renotify_every=st.one_of(st.none(), st.integers(1, 5).map(lambda n: n * DAY)),
    flapping_changes=st.one_of(st.none(), st.integers(1, 5)),
    flapping_window=st.integers(2, 12),
    no_data=st.sampled_from(["no_data", "keep", "ok", "alerting"]),
)


@settings(max_examples=400, deadline=None)
@given(
    outcomes=st.lists(outcome, min_size=1, max_size=80),
    conf=conf_strategy,
    mutes=st.sets(st.integers(0, 79)),
    gaps=st.lists(st.integers(1, 48), min_size=80, max_size=80),
)
def test_no_message_storm(outcomes, conf, mutes, gaps):
    state = SeriesState()
    now = T0
    last_firing: dt.datetime | None = None
    resolved_since = True
    flapped_since_resolution = False
    firing_messages = 0
    resolutions = 0
    for i, result in enumerate(outcomes):
        now += dt.timedelta(hours=gaps[i])
        s = step(state, result, now, conf, muted=i in mutes)
        if s.transition is not None and s.transition[1] == "resolved":
            resolved_since = True
            flapped_since_resolution = False
            resolutions += 1
        if s.message == "flapping":
            # one "flapping" message per episode: the series resolves before it can flap again
            assert not flapped_since_resolution
            flapped_since_resolution = True
        if s.message in ("firing", "renotify"):
            # never two firing messages without a resolution or the re-notify interval between them
            if last_firing is not None and not resolved_since:
                assert conf.renotify_every is not None and now - last_firing >= conf.renotify_every
            last_firing, resolved_since = now, False
            firing_messages += 1
        if s.message is not None:
            assert i not in mutes  # a mute holds every message back
        # a transition is only ever to another state
        if s.transition is not None:
            assert s.transition[0] != s.transition[1]
            assert s.transition[0] == state.state
        state = s.state
    # without re-notify, every firing message but the last follows a resolution
    if conf.renotify_every is None:
        assert firing_messages <= resolutions + 1


@settings(max_examples=300, deadline=None)
@given(outcomes=st.lists(st.booleans(), min_size=1, max_size=120), changes=st.integers(1, 4), window=st.integers(4, 12))
def test_flapping_bounds_messages_per_window(outcomes, changes, window):
    """With flapping protection and no re-notify, any ``window`` evaluations carry at most changes + 2 messages."""
    conf = Settings(flapping_changes=changes, flapping_window=window)
    steps = run(outcomes, conf)
    sent = [1 if s.message else 0 for s in steps]
    for i in range(len(sent)):
        assert sum(sent[i : i + window]) <= changes + 2
