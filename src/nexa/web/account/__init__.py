"""The account page: the hierarchy with rolled-up totals."""
