"""The conversation engine: prompt assembly, streaming the reply, writing memory."""
