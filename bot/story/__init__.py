"""Interactive stories: a narrator persona writes scenes in a world, the audience votes on what happens next,
and code (never the model) counts the votes."""
