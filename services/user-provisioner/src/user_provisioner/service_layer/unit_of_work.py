"""The unit of work port: one rotation event folded in one transaction, or not at all."""

from __future__ import annotations

from collections.abc import Callable

from oncall_platform import unit_of_work
from user_provisioner.service_layer.ports import RotationState


class UnitOfWork(unit_of_work.UnitOfWork):
    """The folded rotation state an event changes."""

    rotations: RotationState


UnitOfWorkFactory = Callable[[], UnitOfWork]
