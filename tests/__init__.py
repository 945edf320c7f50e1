"""The test suite. Imported before any conftest or test module."""

import sys

# Under PYTHONDONTWRITEBYTECODE every test process (one per core, and the one that starts them)
# compiles the project and rewrites the asserts of each pytest plugin's package afresh, seconds
# of CPU per process in every run. The caches are ignored by git: the suite keeps them for
# everything imported from here on.
sys.dont_write_bytecode = False
