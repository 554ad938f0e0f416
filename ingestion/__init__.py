"""Readers, validation, loaders and source adapters for GraphRisk's input format."""
