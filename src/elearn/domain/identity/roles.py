from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STUDENT = "student"
    TUTOR = "tutor"
    MANAGER = "manager"
    ADMIN = "admin"
