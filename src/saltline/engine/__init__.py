"""What the pipeline and promotion stand on: the Docker engine, containers, images."""
