"""Threaded comments on any registered target (proposals, reports, meetings)."""
