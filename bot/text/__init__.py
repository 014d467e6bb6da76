"""Platform-neutral text helpers: splitting replies to a platform's length limit."""
