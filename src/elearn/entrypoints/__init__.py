"""Thin entrypoints: HTTP (Litestar), Dramatiq workers, the CLI; the composition root."""
