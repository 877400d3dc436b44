"""RQ job functions and worker start-up."""
