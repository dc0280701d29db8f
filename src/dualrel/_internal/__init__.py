"""Private helpers shared by the stages. Nothing here is public API."""
