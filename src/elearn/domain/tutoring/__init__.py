"""Tutoring: availability in the tutor's time zone, bookable slots, bookings and their promises."""
