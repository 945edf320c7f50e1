"""What other contexts may use of the community: this module and nothing else (import-linter
says so). Today that is the events it publishes, for the notification center to tell people."""

from __future__ import annotations

from elearn.domain.community.forum import AnswerAccepted, ReplyPosted, ThreadStarted

__all__ = ["AnswerAccepted", "ReplyPosted", "ThreadStarted"]
