"""Learning: enrollments, progress, quizzes, assignments, certificates, reviews, streaks."""
