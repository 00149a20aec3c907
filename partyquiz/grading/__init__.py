"""Grading: nbgrader course operations, the engines, feedback."""
