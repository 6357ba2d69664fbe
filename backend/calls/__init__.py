"""One-click video calls between the console and the grid workers' phones: ringing the nearest, the call's
record on the event, its media through the media server (media/calls.py)."""
