"""Privacy use cases: a person's data exported and erased, over what every context declares
it holds about them."""
