"""Two people acting on one event at the same moment: exactly one transition wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from governance.events import actions
from governance.events.actions import EventError
from governance.models import Event, EventStep
from tests.conftest import default_category, fresh, need_service


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_version", [True, False], ids=["same-page", "no-version"])
def test_two_simultaneous_accepts_one_wins(personas, tree, with_version):
    need_service("PostgreSQL", connection.vendor == "postgresql")
    # A transactional test empties the tables afterwards, migrations' rows included.
    category = default_category("环境卫生")
    event = actions.report_event(
        by=fresh(personas["grid_worker"]),
        grid_id=tree.g11.pk,
        category_id=category.pk,
        description="占道",
        address="路口",
    )
    version = event.version if with_version else None
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(user) -> None:
        try:
            barrier.wait()
            actions.accept_event(by=fresh(user), event_id=event.pk, version=version)
            outcomes.append("won")
        except EventError as error:
            outcomes.append(f"refused: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(personas[name],)) for name in ("community_leader", "street_admin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["refused", "won"]
    assert Event.objects.get(pk=event.pk).status == Event.Status.ACCEPTED
    assert EventStep.objects.filter(event=event, action="accept").count() == 1
