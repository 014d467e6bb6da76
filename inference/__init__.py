"""Everything about the model server: the streaming client, its errors, model preparation and launch."""
