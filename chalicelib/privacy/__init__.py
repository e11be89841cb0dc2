"""Privacy and the data lifecycle (clauses 7.1–7.3, 11.2): a person's export and erasure, retention, reads
recorded, and the export window and erasure after termination."""
