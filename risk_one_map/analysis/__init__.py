"""Pure analyses: numpy, shapely 2, pyproj, geopandas, rasterio, scipy. No qgis, no Qt (a test proves it)."""
