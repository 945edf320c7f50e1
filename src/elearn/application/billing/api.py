"""What other contexts may call of billing: this module and nothing else (import-linter says so).

Functions here take the caller's transaction and work on billing's own stores within it, so a
cross-context step commits or rolls back with the caller's use case.
"""

from __future__ import annotations
