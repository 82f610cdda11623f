"""`modelmath mcp`: the calculators as an MCP server."""
