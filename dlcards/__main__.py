try:
    from dlcards.quick import script
except KeyboardInterrupt:  # Ctrl-C as it imports, before `script` can end it quietly: as it does
    raise SystemExit(130) from None

if __name__ == "__main__":  # not when a worker process imports it
    script()
