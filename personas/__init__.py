"""Personas: the schema (Character Card V2 field names), loading, macros and the built-in characters."""
