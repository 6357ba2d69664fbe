"""The intercom: push-to-talk talkgroups between the centre and the field (per grid, street and department, and ad
hoc ones), one speaker at a time with a queue, and the last minutes of each group to replay; its media through the
media server (media/intercom.py)."""
