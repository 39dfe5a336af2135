"""Content-addressed artifact store (BLAKE3 digests over any fsspec filesystem)."""

from jupyter_mlops.artifacts.cas import ObjectInfo, ObjectStore, hash_bytes, hash_file

__all__ = ["ObjectInfo", "ObjectStore", "hash_bytes", "hash_file"]
