"""The yearly calendar watch: warn the region's safety office (安委办) before the working-day
calendar runs out.

The pinned chinesecalendar package covers the years up to its release; each later year is
entered by the office in ``config/holidays.yaml`` from the State Council notice
(``safegov.core.holidays``). From 1 November of year Y, while Y+1 is not covered, one email
per stage (``safegov.core.holidays.STAGES``: 11-01, 12-01, 12-15; and ``overdue`` once Y+1
has begun without it) goes to the region's safety office director, naming the missing year
and the notice to enter. The outbox key is ``calendar|<region>|<year>|<region>:<post>|<stage>``:
the post, not the person, so a change of holder does not send a stage twice, and any number
of runs on any day of a stage queue one row.

Called daily by ``safegov_notify`` with the run's local day and moment (never the clock).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from safegov.core.errors import SafegovError
from safegov.core.holidays import calendar_alert, holiday_calendar
from safegov.db.models import Unit
from safegov.notification.outbox import queue
from safegov.org.directory import SAFETY_OFFICE_ROLE, PostDirectory

log = logging.getLogger(__name__)

PURPOSE = "calendar"
TEMPLATE = "calendar_missing"


def region_code(session: Session) -> str:
    """The root of the unit tree (the autonomous region); the unit registry must hold one."""
    roots = session.scalars(select(Unit.code).where(Unit.parent_code.is_(None))).all()
    if len(roots) != 1:
        raise SafegovError(
            f"单位表应有且仅有一个根单位（自治区），实有{len(roots)}个；"
            "请先执行 `safegov db init` 载入 config/units.csv"
        )
    return roots[0]


def queue_calendar_warning(
    engine: Engine,
    *,
    on: dt.date,
    created_at: dt.datetime,
    run_id: str | None = None,
    historical: bool = False,
) -> dict:
    """Queue the warning due on local day ``on``, if any; returns what was decided (JSON)."""
    cal = holiday_calendar()
    alert = calendar_alert(on, cal)
    if alert is None:
        return {"on": on.isoformat(), "missing_year": None, "queued": 0}
    log.warning("日历预警（%s）：%s", alert.stage, alert.message)
    with Session(engine) as session, session.begin():
        region = region_code(session)
        office = PostDirectory(session).office(region, on)
        if office is None or not office.email:
            # Not queued, so not spent: a message without an address could only fail, and the
            # stage's key would keep the next day's run from sending it. On a first run the
            # leader registry is still in the inbox; the daily run queues it once it is loaded.
            log.warning("日历预警暂未发送：自治区安委办主任尚未登记或无电子邮箱，待登记后的下一次检查发送")
            return {
                "on": on.isoformat(),
                "missing_year": alert.year,
                "stage": alert.stage,
                "queued": 0,
                "waiting": "no_address",
            }
        new = queue(
            session,
            purpose=PURPOSE,
            subject_id=region,
            period=str(alert.year),
            recipient=f"{region}:{SAFETY_OFFICE_ROLE}",
            step=alert.stage,
            to_email=office.email,
            template=TEMPLATE,
            context={
                "recipient_name": office.name,
                "year": alert.year,
                "stage": alert.stage,
                "overdue": alert.stage == "overdue",
                "message": alert.message,
                "holidays_file": str(cal.path),
                "covered_until": cal.first_uncovered() - 1,
                "package": f"chinesecalendar {cal.package_version}",
            },
            historical=historical,
            created_at=created_at,
            run_id=run_id,
        )
    return {"on": on.isoformat(), "missing_year": alert.year, "stage": alert.stage, "queued": int(new)}
