"""Local services Fireside can run itself: an embedded redis-server and an embedded vLLM."""
