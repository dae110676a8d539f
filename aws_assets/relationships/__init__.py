"""The relationship graph: each relationship type is declared once, with the DuckDB SQL that finds its edges."""
