"""Report file writers: CSV (standard library) and PDF (fpdf2)."""
