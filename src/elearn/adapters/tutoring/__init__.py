"""Tutoring adapters: meeting rooms and iCalendar feeds."""
