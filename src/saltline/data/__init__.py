"""Files shipped with the package: the minion image recipe, default lint configs."""
