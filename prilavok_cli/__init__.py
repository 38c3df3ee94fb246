"""The `prilavok` command for internal users and scripts."""
