"""Response feedback: the process feedback report ("what happened to your proposals") and
response-time reminders to staff."""
