"""The QGIS side of the data model: a package as QGIS layers, styles, fonts, a headless QgsApplication and the
styled project. Needs PyQGIS; the pure side (layers/, analysis/, jobs/) never imports it."""
