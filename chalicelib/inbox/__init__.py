"""One list for the agents: the shop's chat conversations and email tickets together, by last activity."""
