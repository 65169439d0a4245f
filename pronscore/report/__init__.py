"""Assessment serializations: JSON (schema-checked), TextGrid, CSV and a terminal view."""
