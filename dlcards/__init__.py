"""dlcards: spaced-repetition flashcards for deep learning, in the terminal."""

__version__ = "0.1.0"
