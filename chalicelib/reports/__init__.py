"""Reports for merchants: how many chats and tickets, how fast the first answer and the resolution came."""
