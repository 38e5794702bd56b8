"""user_provisioner."""
