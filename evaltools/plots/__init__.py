"""Figures for the notebooks and reports: functions that take result tables and return matplotlib Figures."""
