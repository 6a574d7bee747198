"""Private registries: credentials kept encrypted, sent per call (pulls, digest checks, tag lists)."""
