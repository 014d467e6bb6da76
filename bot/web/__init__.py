"""The web dashboard: pages for streamers and server admins, served by `fireside web` (or inside `fireside run`)."""
