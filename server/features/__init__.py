"""One module per feature of the language server; each has a `register(server)` that declares its
LSP methods and commands and subscribes to the core's hooks (server.Hooks). Features never import
each other: what two of them need lives in the core."""
