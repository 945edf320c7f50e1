"""Issue 15's probe, re-run: the fifteen findings replayed against a running server as the
attacker did, each printed as the requests made, the answers (status and problem code) and
PASS when the attack is now refused (FAIL otherwise).

It creates the accounts it needs over HTTP (two students, two tutors who apply with documents)
and uses one staff account to approve the tutors and the courses, as the platform's own staff
would: by default the demo admin of ``elearn serve --demo``. Usage, on the embedded default:

    .venv/bin/elearn serve --demo &                     # http://127.0.0.1:8000
    .venv/bin/python benchmarks/security_probe.py [--url http://127.0.0.1:8000]
        [--var-dir var] [--admin-email ...] [--admin-password ...]

``--var-dir`` is the server's ``ELEARN_VAR_DIR`` (``var`` by default). The probe reads its own
accounts' verification emails there (``outbox/``), as their owners read their mailboxes, and the
server's generated secret (``secrets/jwt_secret``), as an insider or a leaked key would have it,
to check that a token signed with the real key but with an ``exp`` ten years after ``iat`` is
refused (finding 1); that one check is skipped, and says so, when the secret is not there.

Every address it registers is new (a random tag), so it can run again on the same server. The
sign-in checks come from one client address: the per-address limit that strangers share is
shown with successful sign-ins (which it no longer counts), the per-account limit with wrong
passwords (which a known device no longer shares). Exit status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import email
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import jwt

API = "/api/v1"
# The public default secret of the first releases: anyone could sign tokens with it.
PUBLIC_DEFAULT_SECRET = "dev-only-insecure-jwt-secret-change-me-0000"
PASSWORD = "probe-password-2026-long"
WRONG = "not-the-password-at-all"
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
QUIZ = {
    "pass_mark_percent": 100,
    "max_attempts": 3,
    "feedback": "full",
    "required": True,
    "questions": [
        {
            "id": "capital",
            "kind": "single_choice",
            "prompt": "The capital of France?",
            "points": 1,
            "choices": [
                {"id": "paris", "text": "Paris", "correct": True},
                {"id": "lyon", "text": "Lyon"},
            ],
        }
    ],
}


@dataclass
class Step:
    request: str
    status: int
    code: str | None


@dataclass
class Finding:
    number: int
    title: str
    steps: list[Step] = field(default_factory=list)
    passed: bool = False
    note: str = ""


def _code(response: httpx.Response) -> str | None:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


class Probe:
    def __init__(self, url: str, var_dir: Path) -> None:
        self.outbox = var_dir / "outbox"
        self.client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
        self.tag = secrets.token_hex(4)
        self.findings: list[Finding] = []
        self._current: Finding | None = None

    # ---- plumbing -----------------------------------------------------------------------------
    def call(
        self, method: str, path: str, token: str | None = None, *, record: bool = True, **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Each request is its own client: no device cookie rides along unless a check sends one.
        self.client.cookies.clear()
        response = self.client.request(method, path, headers=headers, **kw)
        if record and self._current is not None:
            shown = path if len(path) <= 90 else path[:60] + "..." + path[-20:]
            self._current.steps.append(
                Step(f"{method} {shown}", response.status_code, _code(response))
            )
        return response

    def ok(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        response = self.call(method, path, token, record=False, **kw)
        if response.status_code >= 400:
            raise RuntimeError(
                f"setup {method} {path}: {response.status_code} {response.text[:300]}"
            )
        return (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else None
        )

    def finding(self, number: int, title: str, check: Callable[[Finding], None]) -> None:
        finding = Finding(number, title)
        self._current = finding
        try:
            check(finding)
        except Exception as error:
            finding.passed = False
            finding.note = f"probe error: {error}"
        self._current = None
        self.findings.append(finding)

    def email(self, name: str) -> str:
        return f"{name}-{self.tag}@probe.example.com"

    def mailed_token(self, address: str, page: str) -> str:
        """The token of the newest link to ``page`` mailed to ``address``: each account's owner
        reads their own mailbox (the embedded default writes mail under var/outbox)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for path in sorted(self.outbox.glob("*.eml"), reverse=True):
                message = email.message_from_bytes(path.read_bytes())
                if address not in str(message["To"]):
                    continue
                for part in message.walk():
                    if part.get_content_type() != "text/plain":
                        continue
                    text = part.get_payload(decode=True).decode()
                    found = re.search(rf"https?://\S*{page}\S*[?&]token=([^\s&]+)", text)
                    if found:
                        return unquote(found.group(1))
            time.sleep(0.2)
        raise RuntimeError(f"no {page} link mailed to {address} in {self.outbox}")

    def login(self, email: str, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
        body = self.ok(
            "POST", f"{API}/auth/login", json={"email": email, "password": password, **extra}
        )
        return dict(body)

    # ---- the world ----------------------------------------------------------------------------
    def setup(self, admin_email: str, admin_password: str) -> None:
        self.admin = self.login(admin_email, admin_password)
        self.admin_id = self.ok("GET", f"{API}/me", self.admin["access_token"])["id"]
        for name in ("alice", "bob"):
            self.ok(
                "POST",
                f"{API}/auth/register/student",
                json={"email": self.email(name), "password": PASSWORD, "full_name": name.title()},
            )
        for name in ("tina", "tom"):
            self.ok(
                "POST",
                f"{API}/auth/register/tutor",
                data={
                    "email": self.email(name),
                    "password": PASSWORD,
                    "full_name": name.title(),
                    "headline": "Maths tutor",
                    "subjects": "Maths",
                },
                files={
                    "cv": ("cv.pdf", PDF, "application/pdf"),
                    "certificate": ("diploma.pdf", PDF, "application/pdf"),
                },
            )
        pending = self.ok(
            "GET",
            f"{API}/admin/tutor-applications",
            self.admin["access_token"],
            params={"status": "pending", "limit": 100},
        )
        mine = {item["email"]: item["id"] for item in pending["items"]}
        for name in ("tina", "tom"):
            self.ok(
                "POST",
                f"{API}/admin/tutor-applications/{mine[self.email(name)]}/approve",
                self.admin["access_token"],
            )
        for name in ("alice", "bob", "tina", "tom"):
            token = self.mailed_token(self.email(name), "verify")
            self.ok("POST", f"{API}/auth/verify-email", json={"token": token})
        self.alice = self.login(self.email("alice"))
        self.bob = self.login(self.email("bob"))
        self.tina = self.login(self.email("tina"))
        self.tom = self.login(self.email("tom"))
        self.ids = {
            name: self.ok("GET", f"{API}/me", session["access_token"])["id"]
            for name, session in (
                ("alice", self.alice),
                ("bob", self.bob),
                ("tina", self.tina),
                ("tom", self.tom),
            )
        }
        tina = self.tina["access_token"]
        self.ok(
            "PATCH",
            f"{API}/me",
            tina,
            json={
                "tutor": {
                    "hourly_rate": {"amount": 4000, "currency": "USD"},
                    "subjects": ["Maths"],
                    "languages": ["en"],
                    "time_zone": "UTC",
                    "meeting_url": f"https://meet.example.com/tina-{self.tag}",
                }
            },
        )
        self.ok(
            "PUT",
            f"{API}/me/availability",
            tina,
            json={
                "time_zone": "UTC",
                "windows": [{"weekday": d, "start": "06:00", "end": "22:00"} for d in range(7)],
                "durations": [60],
                "buffer_minutes": 0,
            },
        )
        # A free course with a quiz and an assignment, and a paid one, both published by staff.
        course = self.ok(
            "POST",
            f"{API}/courses",
            tina,
            json={"title": f"Probe {self.tag}", "description": "Probe.", "free": True},
        )
        section = self.ok(
            "POST", f"{API}/courses/{course['id']}/sections", tina, json={"title": "One"}
        )
        lessons = f"{API}/sections/{section['id']}/lessons"
        self.text_lesson = self.ok(
            "POST", lessons, tina, json={"kind": "text", "title": "Read", "text": "# Hi"}
        )
        self.quiz_lesson = self.ok("POST", lessons, tina, json={"kind": "quiz", "title": "Quiz"})
        self.ok("PUT", f"{API}/lessons/{self.quiz_lesson['id']}/quiz", tina, json=QUIZ)
        self.assignment = self.ok(
            "POST", lessons, tina, json={"kind": "assignment", "title": "Essay"}
        )
        self.ok(
            "PUT",
            f"{API}/lessons/{self.assignment['id']}/assignment",
            tina,
            json={"instructions": "Write.", "max_points": 10, "allowed_file_kinds": ["pdf"]},
        )
        self.course = course
        self._publish(course["id"])
        paid = self.ok(
            "POST",
            f"{API}/courses",
            tina,
            json={
                "title": f"Paid probe {self.tag}",
                "description": "Paid.",
                "price": {"amount": 4999, "currency": "USD"},
            },
        )
        paid_section = self.ok(
            "POST", f"{API}/courses/{paid['id']}/sections", tina, json={"title": "One"}
        )
        self.ok(
            "POST",
            f"{API}/sections/{paid_section['id']}/lessons",
            tina,
            json={"kind": "text", "title": "Read", "text": "# Hi"},
        )
        self.paid = paid
        self._publish(paid["id"])

    def _publish(self, course_id: str) -> None:
        self.ok("POST", f"{API}/courses/{course_id}/submit", self.tina["access_token"])
        for action in ("approve", "publish"):
            self.ok("POST", f"{API}/courses/{course_id}/{action}", self.admin["access_token"])

    def slot(self, days: int, hour: int) -> str:
        day = (datetime.now(UTC) + timedelta(days=days)).date()
        return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()

    # ---- the findings -------------------------------------------------------------------------
    def f1_forged_tokens(self, f: Finding, var_dir: Path) -> None:
        history = self.call(
            "GET", f"{API}/courses/{self.course['id']}", self.tina["access_token"]
        ).json()
        staff_ids = {
            h.get("actor_id") for h in history.get("history", []) if h.get("actor_role") == "staff"
        }
        now = int(time.time())
        claims = {
            "sub": self.admin_id,
            "sid": self.admin_id,
            "role": "admin",
            "iat": now,
            "exp": now + 600,
            "jti": secrets.token_hex(8),
            "iss": "elearn",
            "aud": "elearn-api",
            "typ": "access",
        }
        forged = jwt.encode(claims, PUBLIC_DEFAULT_SECRET, algorithm="HS256", headers={"kid": "x"})
        refused_forged = self.call("GET", f"{API}/admin/users", forged).status_code == 401
        checks = [staff_ids <= {None}, refused_forged]
        secret_file = var_dir / "secrets" / "jwt_secret"
        if secret_file.exists():
            secret = secret_file.read_text().strip()
            real = jwt.decode(self.admin["access_token"], options={"verify_signature": False})
            header = jwt.get_unverified_header(self.admin["access_token"])
            decade = {**real, "exp": real["iat"] + 10 * 365 * 86_400}
            long_lived = jwt.encode(
                decade, secret, algorithm="HS256", headers={"kid": header["kid"]}
            )
            checks.append(self.call("GET", f"{API}/admin/users", long_lived).status_code == 401)
            f.note = (
                "staff actor_id hidden from the tutor; public-secret token and 10-year exp refused"
            )
        else:
            f.note = (
                "staff actor_id hidden; public-secret token refused (10-year exp: no secret found)"
            )
        f.passed = all(checks)

    def f2_meeting_url(self, f: Finding) -> None:
        response = self.call("GET", f"{API}/tutors/{self.ids['tina']}")
        f.passed = response.status_code == 200 and "meet.example.com" not in response.text
        f.note = "no meeting_url on the public tutor page"

    def f3_lockout(self, f: Finding) -> None:
        owner = self.email("alice")
        device = self.login(owner)["device_token"]
        statuses = [
            self.call(
                "POST", f"{API}/auth/login", json={"email": owner, "password": WRONG}
            ).status_code
            for _ in range(12)
        ]
        known = self.call(
            "POST",
            f"{API}/auth/login",
            json={"email": owner, "password": PASSWORD, "device_token": device},
        )
        # Successful sign-ins are not counted per address: a classroom behind one NAT.
        many = [
            self.call(
                "POST",
                f"{API}/auth/login",
                record=False,
                json={"email": self.email("bob"), "password": PASSWORD},
            ).status_code
            for _ in range(25)
        ]
        f.steps.append(
            Step("POST /api/v1/auth/login x25 (right password, one address)", max(many), None)
        )
        f.passed = 429 in statuses and known.status_code == 200 and set(many) == {200}
        f.note = (
            "strangers' 12 failures lock strangers out; the owner's known device signs in;"
            " 25 successes from one address pass"
        )
        self.alice = known.json()

    def f4_holds(self, f: Finding) -> None:
        alice = self.alice["access_token"]
        answers = [
            self.call(
                "POST",
                f"{API}/bookings",
                alice,
                json={
                    "tutor_id": self.ids["tina"],
                    "starts_at": self.slot(3, 8 + n),
                    "duration_minutes": 60,
                },
            )
            for n in range(4)
        ]
        codes = [a.status_code for a in answers]
        f.passed = codes[0] == 201 and 409 in codes and codes[-1] in (409, 429)
        f.note = "unpaid holds per student and per tutor are limited"
        self.holds = [a.json()["id"] for a in answers if a.status_code == 201]

    def f5_password_change(self, f: Finding) -> None:
        bob = self.bob["access_token"]
        statuses = [
            self.call(
                "POST",
                f"{API}/auth/password/change",
                bob,
                record=n >= 8,
                json={
                    "current_password": f"guess-number-{n}-wrong",
                    "new_password": "a new long passphrase",
                },
            ).status_code
            for n in range(25)
        ]
        f.steps.insert(
            0,
            Step(
                "POST /api/v1/auth/password/change x8 (wrong current password)", statuses[0], None
            ),
        )
        f.passed = 429 in statuses
        first_refused = statuses.index(429) + 1 if 429 in statuses else None
        f.note = f"guesses answered 429 from attempt {first_refused}"

    def f6_refresh_reuse(self, f: Finding) -> None:
        session = self.login(self.email("tom"))
        rotated = self.call(
            "POST", f"{API}/auth/refresh", json={"refresh_token": session["refresh_token"]}
        ).json()
        reused = self.call(
            "POST", f"{API}/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        newest = self.call("GET", f"{API}/me", rotated["access_token"])
        f.passed = reused.status_code == 401 and newest.status_code == 401
        f.note = "reuse ends the family and its newest access token at once"

    def f7_co_instructor(self, f: Finding) -> None:
        tina = self.tina["access_token"]
        named = self.call(
            "PATCH",
            f"{API}/courses/{self.course['id']}",
            tina,
            json={"co_instructor_ids": [self.ids["tom"]]},
        )
        public = self.call("GET", f"{API}/courses/{self.course['id']}").json()
        shown = [p["id"] for p in public.get("instructors", [])]
        f.passed = named.status_code in (400, 422) and self.ids["tom"] not in shown
        f.note = "co-instructors only by an accepted invitation"

    def f8_published_changes(self, f: Finding) -> None:
        tina = self.tina["access_token"]
        self.call("PATCH", f"{API}/courses/{self.paid['id']}", tina, json={"free": True})
        public = self.call("GET", f"{API}/courses/{self.paid['id']}").json()
        f.passed = (
            public.get("status") == "published"
            and (public.get("price") or {}).get("amount") == 4999
        )
        f.note = "the change is staged as a revision; the published course keeps its price"

    def f9_files(self, f: Finding) -> None:
        alice, bob = self.alice["access_token"], self.bob["access_token"]
        self.ok("POST", f"{API}/courses/{self.course['id']}/enroll", alice)
        handed = self.ok(
            "POST",
            f"{API}/lessons/{self.assignment['id']}/submissions",
            alice,
            files=[("files", ("essay.pdf", PDF + b"% private essay\n", "application/pdf"))],
        )
        url = handed["files"][0]["url"]
        leaked = self.call("GET", url)
        other = self.call("GET", url, bob)
        link = self.call("POST", f"{url}/one-time-link", alice).json()["url"]
        first = self.call("GET", link)
        replay = self.call("GET", link)
        f.passed = (
            leaked.status_code,
            other.status_code,
            first.status_code,
            replay.status_code,
        ) == (401, 403, 200, 410)
        f.note = "a leaked link needs its holder's header; a one-time link opens once"

    def f10_feedback(self, f: Finding) -> None:
        alice = self.alice["access_token"]
        started = self.call(
            "POST", f"{API}/lessons/{self.quiz_lesson['id']}/attempts", alice
        ).json()
        result = self.call(
            "POST",
            f"{API}/attempts/{started['id']}/submit",
            alice,
            json={"answers": {"capital": "lyon"}},
        ).json()
        revealed = [item.get("correct_answer") for item in result.get("feedback", [])]
        f.passed = result.get("passed") is False and revealed and all(r is None for r in revealed)
        f.note = "a failed attempt with attempts left shows no correct answer"

    def f11_progress(self, f: Finding) -> None:
        alice = self.alice["access_token"]
        marked = self.call(
            "PUT",
            f"{API}/lessons/{self.quiz_lesson['id']}/progress",
            alice,
            json={"completed": True},
        )
        first = self.call(
            "PUT",
            f"{API}/lessons/{self.text_lesson['id']}/progress",
            alice,
            json={"seconds_spent": 3600},
        )
        second = self.call(
            "PUT",
            f"{API}/lessons/{self.text_lesson['id']}/progress",
            alice,
            json={"seconds_spent": 3600},
        )
        spent = second.json().get("seconds_spent", 0) if second.status_code == 200 else None
        f.passed = (
            marked.status_code == 422
            and first.status_code == 200
            and spent is not None
            and spent < 600
        )
        f.note = f"quiz not completed by saying so; 2 x 3600 s claimed counted as {spent} s"

    def f12_registration(self, f: Finding) -> None:
        body = {"password": PASSWORD, "full_name": "Someone"}
        taken = self.call(
            "POST", f"{API}/auth/register/student", json={**body, "email": self.email("alice")}
        )
        fresh = self.call(
            "POST", f"{API}/auth/register/student", json={**body, "email": self.email("new")}
        )
        f.passed = taken.status_code == fresh.status_code == 202 and taken.json() == fresh.json()
        f.note = "a taken and a new address answer alike"

    def f13_logout(self, f: Finding) -> None:
        victim = self.login(self.email("tom"))
        attacker = self.bob["access_token"]
        ended = self.call(
            "POST", f"{API}/auth/logout", attacker, json={"refresh_token": victim["refresh_token"]}
        )
        still = self.call("GET", f"{API}/me", victim["access_token"])
        f.passed = ended.status_code == 403 and still.status_code == 200
        f.note = "another person's refresh token ends nothing"

    def f14_active_content(self, f: Finding) -> None:
        polyglot = (
            b"GIF89a"
            + b"\x01\x00\x01\x00\x00\x00\x00;"
            + b"A" * 2048
            + b"<script>alert(1)</script>"
        )
        response = self.call(
            "PUT",
            f"{API}/me/avatar",
            self.bob["access_token"],
            files={"file": ("me.gif", polyglot, "image/gif")},
        )
        f.passed = response.status_code in (415, 422)
        f.note = "markup past the first 512 bytes is found"

    def f15_sandbox(self, f: Finding) -> None:
        alice = self.alice["access_token"]
        payment = self.call(
            "POST", f"{API}/bookings/{self.holds[0]}/pay", alice, json={"method": "card"}
        ).json()
        order_id = payment["order_id"]
        page = self.call("GET", f"/sandbox/checkout/{order_id}")
        pay = self.call("POST", f"/sandbox/checkout/{order_id}/succeed")
        decline = self.call("POST", f"/sandbox/checkout/{order_id}/fail", self.bob["access_token"])
        booking = self.ok("GET", f"{API}/bookings/{self.holds[0]}", alice)
        f.passed = (
            all(r.status_code in (401, 403, 404) for r in (page, pay, decline))
            and booking["status"] != "confirmed"
        )
        f.note = "without the buyer's session or the checkout's signed link, the order is not found"

    # ---- report -------------------------------------------------------------------------------
    def report(self) -> int:
        for f in sorted(self.findings, key=lambda f: f.number):
            print(f"#{f.number:<2} {'PASS' if f.passed else 'FAIL'}  {f.title}")
            for step in f.steps:
                print(
                    f"      {step.request} -> {step.status}{f' {step.code}' if step.code else ''}"
                )
            if f.note:
                print(f"      {f.note}")
        failed = [f.number for f in self.findings if not f.passed]
        print(f"\n{len(self.findings) - len(failed)} passed, {len(failed)} failed")
        return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--var-dir", type=Path, default=Path("var"))
    parser.add_argument("--admin-email", default="admin@demo.elearn.test")
    parser.add_argument("--admin-password", default="demo-password-2026")
    args = parser.parse_args()
    probe = Probe(args.url, args.var_dir)
    probe.setup(args.admin_email, args.admin_password)
    probe.finding(
        1,
        "forged admin token, staff id in histories, 10-year exp",
        lambda f: probe.f1_forged_tokens(f, args.var_dir),
    )
    probe.finding(2, "anonymous tutor page shows the meeting room", probe.f2_meeting_url)
    probe.finding(3, "strangers lock the owner out; NAT classroom locked", probe.f3_lockout)
    probe.finding(4, "unlimited unpaid holds", probe.f4_holds)
    probe.finding(5, "unlimited current-password guesses", probe.f5_password_change)
    probe.finding(6, "access token outlives refresh-token reuse", probe.f6_refresh_reuse)
    probe.finding(7, "co-instructor named without consent", probe.f7_co_instructor)
    probe.finding(8, "published course changed without review", probe.f8_published_changes)
    probe.finding(9, "submission file served to anyone with the URL", probe.f9_files)
    probe.finding(10, "full feedback reveals answers while attempts remain", probe.f10_feedback)
    probe.finding(11, "quiz marked done; study time faked", probe.f11_progress)
    probe.finding(12, "registration reveals existing addresses", probe.f12_registration)
    probe.finding(13, "logout with another person's refresh token", probe.f13_logout)
    probe.finding(14, "markup after a GIF header stored as an image", probe.f14_active_content)
    probe.finding(15, "sandbox pay/decline on any order id", probe.f15_sandbox)
    return probe.report()


if __name__ == "__main__":
    sys.exit(main())
