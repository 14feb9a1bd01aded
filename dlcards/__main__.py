from dlcards.cli import main

main()
