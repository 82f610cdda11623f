"""The edges: CLI, agent loop, MCP server. They translate between the registry and the outside world."""
