"""Talking to AWS: sessions per integration instance, API call counting, regions."""
