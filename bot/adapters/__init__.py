"""Platform adapters: each turns platform messages into ChatEvents and streams replies back."""
