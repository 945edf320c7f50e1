"""Tutoring use cases: availability, slots, bookings and their money, calendars, testimonials."""
