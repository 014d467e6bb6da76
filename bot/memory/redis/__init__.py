"""The Redis implementation of every memory store. Only the composition root (bot/app.py) imports it."""
