"""Issue #17: a heatmap cell's evidence is found by its natural key (SPEC §3: a meeting is
unit_code + record_id), so a county never sees another unit's record with the same id."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.db.models import Evaluation, Meeting


def _meeting(unit: str, record_id: str, minutes_ref: str) -> Meeting:
    return Meeting(
        unit_code=unit,
        record_id=record_id,
        body="safety_committee",
        held_on=dt.date(2024, 1, 10),
        minutes_ref=minutes_ref,
        received_at=dt.datetime(2024, 1, 11, tzinfo=dt.UTC),
        raw_row_id=990_000,
        content_hash="c" * 64,
        version=1,
    )


def test_same_record_id_in_two_units_shows_only_the_cells_own(as_user, seeded):
    shared = f"M-{secrets.token_hex(4)}"
    own_ref, other_ref = f"own/{secrets.token_hex(4)}.pdf", f"other/{secrets.token_hex(4)}.pdf"
    with Session(seeded) as s:
        ev = s.scalars(
            select(Evaluation).where(
                Evaluation.obligation_id == "SC-MEET-LOCAL",
                Evaluation.unit_code == "150102",
                Evaluation.evidence.isnot(None),
            )
        ).first()
        period = ev.period
        ev.evidence = f"{ev.evidence};{shared}"
        s.add_all([_meeting("150102", shared, own_ref), _meeting("150202", shared, other_ref)])
        s.commit()

    url = f"/api/cell?obligation=SC-MEET-LOCAL&unit=150102&period={period}"
    for user in ("xincheng_office", "region_office"):
        resp = as_user(user, url)
        assert resp.status_code == 200
        records = resp.json()["records"]
        shared_rows = [r for r in records if r["record_id"] == shared]
        assert [r["minutes_ref"] for r in shared_rows] == [own_ref], user
        assert {r["unit_code"] for r in records} == {"150102"}, user
        # The page shows the same records as the API.
        page = as_user(user, f"/?obligation=SC-MEET-LOCAL&unit=150102&period={period}")
        assert own_ref in page.text and other_ref not in page.text
