from sdmd.db.base import Base, Database, utcnow

__all__ = ["Base", "Database", "utcnow"]
