"""Development and test stack: starts real NATS and the embedded MongoDB (SecantusDB) as
processes, and the four services. Never imported by service code."""
