from dlcards.quick import main

main()
