"""Claude API prices, request and workload cost, self-hosting cost, token estimates."""
