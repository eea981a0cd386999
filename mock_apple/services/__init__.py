"""Services of the mock Apple side, one module per job; import the module you need
(`from mock_apple.services import mdm_servers`)."""
