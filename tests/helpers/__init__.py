"""What tests share (not fixtures: those live in conftest.py files):
server processes, socket clients, logged-in sessions, browser helpers."""
