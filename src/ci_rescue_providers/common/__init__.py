"""What the GitHub, GitLab and CircleCI adapters share: small helpers with one job each."""
