"""oncall_contracts: the versioned event contracts of the on-call scheduler's Kafka bus."""

from oncall_contracts.credentials import CredentialError, CredentialSealer, generate_key
from oncall_contracts.envelope import Envelope
from oncall_contracts.errors import ContractError
from oncall_contracts.pagerduty.v1 import (
    DriftRepair,
    PagerDutyUserMissing,
    PagerDutyUserProvisioned,
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
    UserProvisioningFailed,
)
from oncall_contracts.payload import Payload
from oncall_contracts.registry import EncodedEvent, EventRegistry, all_events, decode, encode, model_for
from oncall_contracts.rotation.v1 import (
    IntegrationConfigured,
    IntegrationRemoved,
    MemberAdded,
    MemberRemoved,
    RotationCreated,
    RotationDeleted,
    RotationUpdated,
    ShiftChanged,
    ShiftRequestAccepted,
    ShiftRequestCancelled,
    ShiftRequestDeclined,
    ShiftRequested,
    ShiftRequestExpired,
    ShiftRequestOutdated,
)
from oncall_contracts.topics import Topics, TopicSpec, key_for
from oncall_contracts.values import CoverageWindow, PagerDutyAccount, Region, Role, SealedCredential

__all__ = [
    "ContractError",
    "CoverageWindow",
    "CredentialError",
    "CredentialSealer",
    "DriftRepair",
    "EncodedEvent",
    "Envelope",
    "EventRegistry",
    "IntegrationConfigured",
    "IntegrationRemoved",
    "MemberAdded",
    "MemberRemoved",
    "PagerDutyAccount",
    "PagerDutyUserMissing",
    "PagerDutyUserProvisioned",
    "Payload",
    "Region",
    "Role",
    "RotationCreated",
    "RotationDeleted",
    "RotationUpdated",
    "ScheduleSyncFailed",
    "ScheduleSyncWaiting",
    "ScheduleSynced",
    "SealedCredential",
    "ShiftChanged",
    "ShiftRequestAccepted",
    "ShiftRequestCancelled",
    "ShiftRequestDeclined",
    "ShiftRequestExpired",
    "ShiftRequestOutdated",
    "ShiftRequested",
    "TopicSpec",
    "Topics",
    "UserProvisioningFailed",
    "all_events",
    "decode",
    "encode",
    "generate_key",
    "key_for",
    "model_for",
]
