"""Password hashing (argon2id), JWT signing (PyJWT) and the common-password list."""
