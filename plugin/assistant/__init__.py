"""The Claude assistant: the tool-calling loop, the API client, `ask` and `chat`."""
