"""Services of the Apple School Manager roster, one module per job; import the module you need
(`from mock_apple.roster import passwords`)."""
