"""The catalog: categories, courses with their outline of sections and lessons, prerequisites
and the review workflow that takes a course from draft to published."""
