"""Deploy webhooks: a secret URL per service that runs its update, or a git pull and apply."""
