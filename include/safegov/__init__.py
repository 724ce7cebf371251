"""safegov — the work-safety governance calendar of the Inner Mongolia *Decision on Further
Strengthening Work Safety* (内蒙古自治区党委自治区人民政府关于进一步加强安全生产工作的决定, 2017).

The package is the pure core: plain functions that take a SQLAlchemy session or connection.
Airflow DAGs in ``dags/`` only wire these functions together.
"""

__version__ = "0.1.0"
