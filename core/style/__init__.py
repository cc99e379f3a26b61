"""House style: a LoRA adapter for tone and format, learnt from the user's own answers."""
