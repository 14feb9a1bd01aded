from dlcards.quick import script

if __name__ == "__main__":  # not when a worker process imports it
    script()
