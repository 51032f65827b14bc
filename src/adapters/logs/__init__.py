"""Stand-ins that write to the log: used when no SMTP host / Telegram token / realtime
server is configured, so that ``just run`` works offline and nothing is silently dropped."""
