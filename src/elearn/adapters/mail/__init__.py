"""Mail adapters: a file outbox for development and SMTP for production, plus templates."""

from elearn.adapters.mail.file_outbox import (
    DEFAULT_OUTBOX_DIR,
    OUTBOX_DIR_ENV,
    FileOutboxMailer,
    outbox_dir_from_env,
)
from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR, JinjaEmailTemplates
from elearn.adapters.mail.smtp import SmtpMailer, SmtpSecurity

__all__ = [
    "DEFAULT_OUTBOX_DIR",
    "DEFAULT_TEMPLATES_DIR",
    "OUTBOX_DIR_ENV",
    "FileOutboxMailer",
    "JinjaEmailTemplates",
    "SmtpMailer",
    "SmtpSecurity",
    "outbox_dir_from_env",
]
