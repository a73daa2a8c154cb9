"""Reuses the social fixtures (test target over Process, posting helper)."""
from tests.comments.conftest import (  # noqa: F401
    closed_process, count_queries, open_process, page_with_thread, post, test_target)
