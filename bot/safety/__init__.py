"""Safety: cleaning what users send before it enters a prompt or memory."""
