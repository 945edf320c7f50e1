"""What other contexts may call of tutoring: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on tutoring's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations
