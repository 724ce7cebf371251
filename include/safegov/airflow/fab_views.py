"""The dashboard's custom views as FAB permissions: ``can_read`` on ``safegov:<unit code>``.

The dashboard scopes a user by the custom views the auth manager authorises
(``safegov.web.auth``); with FAB a view is a resource, and a role can only be given a
permission on a resource that exists (``airflow roles add-perms`` refuses others). This
creates the permission ``can_read`` on ``safegov:<code>`` for every unit of
``config/units.csv`` (116: the region, the leagues and cities, the counties), so that an
administrator grants them in the roles page or with ``airflow roles add-perms``. FAB gives
its ``Admin`` role every permission when the API server starts, so Admin is region-wide.

Run where FAB is the auth manager, after ``airflow db migrate`` (docker-compose's
``airflow-init``, the distributed tests): ``python -m safegov.airflow.fab_views``. Existing
permissions are kept, so running it again is harmless.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from safegov.web.auth import unit_view

READ = "can_read"  # FAB's action for the method GET that the dashboard asks about


def sync_fab_views(codes: Iterable[str]) -> list[str]:
    """Create the missing ``can_read`` permissions on ``safegov:<code>``; returns the new resources."""
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    created = []
    with get_application_builder() as appbuilder:
        sm = appbuilder.sm
        for code in sorted(codes):
            resource = unit_view(code)
            if sm.get_permission(READ, resource) is None:
                sm.create_permission(READ, resource)
                created.append(resource)
    return created


def main() -> int:
    from safegov.core.settings import get_settings
    from safegov.org.tree import UnitTree

    codes = UnitTree.from_config(get_settings().config_dir).names
    created = sync_fab_views(codes)
    print(f"FAB 权限 can_read safegov:<单位代码>：共 {len(codes)} 个单位，新建 {len(created)} 个")
    return 0


if __name__ == "__main__":
    sys.exit(main())
