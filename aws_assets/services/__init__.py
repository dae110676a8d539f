"""One module per AWS service: its entity declarations, its calls (get/collect) and its pure transforms."""
