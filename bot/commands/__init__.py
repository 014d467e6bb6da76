"""The one command table: every command is declared once (name, typed parameters, who may run it, cooldown,
where the answer goes, confirmation, handler), and Discord, Twitch and the console generate their surfaces
from it. Handlers are grouped by area: chat, persona, privacy, admin."""
