"""The meeting page: attendees and the .ics invitation."""
