"""MongoDB backend (pymongo ``AsyncMongoClient``)."""

from deltastream.storage.mongo.repository import MongoRepository

__all__ = ["MongoRepository"]
