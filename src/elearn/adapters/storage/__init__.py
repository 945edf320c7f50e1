"""File storage adapters: the local directory, and the media type sniffing every one uses."""

from elearn.adapters.storage.local import LocalFileStorage
from elearn.adapters.storage.sniffing import SNIFF_BYTES, sniff_media_type

__all__ = ["SNIFF_BYTES", "LocalFileStorage", "sniff_media_type"]
