"""The district's GIS map: its layers (GeoJSON), the Redis GEO indexes, area queries around an event,
addresses for points, and the events' heat map (README.md in this folder)."""
