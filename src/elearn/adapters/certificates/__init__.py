"""Certificate adapters: the PDF renderer (``elearn.adapters.certificates.pdf``, fpdf2)."""
