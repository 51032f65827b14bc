"""Files: image validation with Pillow, and media storage on the local file system."""
