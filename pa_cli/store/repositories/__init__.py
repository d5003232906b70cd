"""The query layer: one repository per table group; the only place that speaks SQL."""
