"""Fireside: the bot process. Adapters, router, engine, memory; built together in bot.app."""
