"""Learning use cases: enrollments, lessons and progress, quizzes, assignments, certificates."""
