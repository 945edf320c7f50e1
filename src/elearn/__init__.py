"""elearn: the backend of an online learning and tutoring marketplace."""
