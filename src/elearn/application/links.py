"""Links in emails: pages of the front end people open in a browser.

An email never links to an API URL: those answer JSON and most need a bearer token a mail
client does not have. The front end's address and its pages are settings
(``ELEARN_FRONTEND_URL`` and ``ELEARN_FRONTEND_*_PATH``); every context's emails build their
links here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode
from uuid import UUID

# Where the lesson's id goes in the lesson page's path.
LESSON_ID = "{lesson_id}"


@dataclass(frozen=True, slots=True)
class FrontEndLinks:
    base_url: str = "http://127.0.0.1:8000"
    login_path: str = "/login"
    verify_email_path: str = "/verify-email"
    reset_password_path: str = "/reset-password"  # noqa: S105 - a page, not a password
    bookings_path: str = "/bookings"
    lesson_path: str = f"/learn/lessons/{LESSON_ID}"
    earnings_path: str = "/earnings"
    course_invitations_path: str = "/teach/invitations"
    data_exports_path: str = "/account/data"
    messages_path: str = "/messages"

    def login(self) -> str:
        return self._url(self.login_path)

    def verify_email(self, token: str) -> str:
        return self._url(self.verify_email_path, token=token)

    def reset_password(self, token: str) -> str:
        return self._url(self.reset_password_path, token=token)

    def bookings(self) -> str:
        return self._url(self.bookings_path)

    def lesson(self, lesson_id: UUID) -> str:
        return self._url(self.lesson_path.replace(LESSON_ID, quote(str(lesson_id))))

    def earnings(self) -> str:
        return self._url(self.earnings_path)

    def course_invitations(self) -> str:
        return self._url(self.course_invitations_path)

    def data_exports(self) -> str:
        return self._url(self.data_exports_path)

    def messages(self) -> str:
        return self._url(self.messages_path)

    def _url(self, path: str, **query: str) -> str:
        url = self.base_url.rstrip("/") + path
        if not query:
            return url
        return url + ("&" if "?" in path else "?") + urlencode(query)
