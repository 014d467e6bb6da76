"""The Twitch adapter (twitchio 3, EventSub + Helix): the only package that imports twitchio."""
