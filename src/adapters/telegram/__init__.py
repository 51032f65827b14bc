"""The library's staff channel on Telegram."""
