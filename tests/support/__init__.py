"""Test helpers: the scripted model server, service fixtures and network guards."""
