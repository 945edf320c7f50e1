"""Community: course forums and lesson comments."""
