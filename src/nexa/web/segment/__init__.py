"""The list (segment) page: members, filter in words, add and remove."""
