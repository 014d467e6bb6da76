"""Memory: the MemoryStore interface, its key builder, and the Redis implementation."""
