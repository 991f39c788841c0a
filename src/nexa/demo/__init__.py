"""A demo organization: users in teams, accounts with hierarchies, contacts.

``nexa demo`` calls :func:`nexa.demo.service.build_demo`; the data is generated from a fixed
seed, so a second run finds every record already there and creates nothing.
"""

from nexa.demo.service import (
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    DEMO_USERS,
    DemoReport,
    build_demo,
)

__all__ = ["ADMIN_EMAIL", "DEMO_PASSWORD", "DEMO_USERS", "DemoReport", "build_demo"]
