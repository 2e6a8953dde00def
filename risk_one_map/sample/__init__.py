"""A synthetic but believable county, deterministic for a seed (pure: numpy, shapely, rasterio)."""
