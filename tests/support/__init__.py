"""Support shared by the tests of every context, so that no context's tests import another's:
built apps (``apps``), accounts and mail (``identity``), courses (``catalog``), payments
(``billing``)."""
