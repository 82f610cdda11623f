"""Pure calculators, schemas and catalogs. No I/O beyond reading the packaged data files."""
