import StewardCLI
StewardCommand.main()
