"""Task pages: my tasks, the board by status, quick actions and the task record page."""
