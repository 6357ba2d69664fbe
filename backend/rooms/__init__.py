"""The expert consultation room: its configuration, its record, and the service that runs it with its media
(media/rooms.py)."""
