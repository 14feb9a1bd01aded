"""dlcards: spaced-repetition flashcards for deep learning, in the terminal."""

__version__ = "0.1.0"
SCHEMA_VERSION = 35
"""The database schema this version writes (`dlcards.store.schema`: its migrations)."""
