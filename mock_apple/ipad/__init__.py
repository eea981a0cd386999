"""The virtual iPad, one module per job; import the module you need
(`from mock_apple.ipad import setup_assistant`)."""
