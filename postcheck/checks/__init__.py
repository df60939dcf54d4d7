"""Built-in rules, one module per family; registered through the postcheck.rules entry points."""
