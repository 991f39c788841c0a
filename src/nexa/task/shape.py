"""What of a task leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from nexa.record.shapes import Shaper, register
from nexa.task.schemas import TaskOut

TASKS = register(Shaper("task", TaskOut))
