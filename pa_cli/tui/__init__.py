"""`pa chat`: the Textual front-end over AgentService (imported only by the chat command)."""
