"""Model shapes and what follows from them alone: config readers, catalog, parameters, KV cache, memory."""
