"""The VJEPA language server: translates LSP to calls into vjepa_core and back."""
