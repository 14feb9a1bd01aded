"""Bringing things made elsewhere into dlcards: Anki's packages and collections.

`anki_file` reads what Anki writes (the only SQLite access here, and only to copies of the
user's files), `anki_progress` turns Anki's review log into dlcards reviews, and `anki_notes`
turns Anki notes into dlcards YAML decks. The store writes the results.
"""
