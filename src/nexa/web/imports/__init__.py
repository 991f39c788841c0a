"""The import pages: upload, column mapping, dry run, progress and issues."""
