"""Attachments in MongoDB GridFS: chunks are streamed in as they arrive, the file document is
written only when the upload completes; an aborted upload removes its chunks."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase

from prilavok_platform.identity import Party
from services.chat.domain.model import Attachment, AttachmentMeta
from services.chat.service_layer.ports import Upload

BUCKET = "attachments"
CHUNK_BYTES = 255 * 1024


class GridFsAttachmentStore:
    def __init__(self, db: AsyncDatabase):
        self._db = db
        self._bucket = AsyncGridFSBucket(db, bucket_name=BUCKET, chunk_size_bytes=CHUNK_BYTES)

    def open_upload(self, attachment_id: str, meta: AttachmentMeta, uploader: Party, at: dt.datetime) -> Upload:
        return self._bucket.open_upload_stream_with_id(
            attachment_id, meta.file_name,
            metadata={"thread_id": meta.thread_id, "content_type": meta.content_type, "sha256": meta.sha256.lower(),
                      "declared_size": meta.size_bytes, "uploader_party": uploader.key, "created_at": at},
        )

    async def get(self, attachment_id: str) -> Attachment | None:
        doc = await self._db[f"{BUCKET}.files"].find_one({"_id": attachment_id})
        return _from_doc(doc) if doc else None

    async def get_many(self, attachment_ids: list[str]) -> list[Attachment]:
        docs = self._db[f"{BUCKET}.files"].find({"_id": {"$in": attachment_ids}})
        return [_from_doc(d) async for d in docs]

    async def read(self, attachment_id: str) -> AsyncIterator[bytes]:
        try:
            stream = await self._bucket.open_download_stream(attachment_id)
        except NoFile:
            return
        while True:
            chunk = await stream.readchunk()
            if not chunk:
                break
            yield chunk


def _from_doc(doc: dict) -> Attachment:
    meta = doc.get("metadata", {})
    # The service's clock at upload; files stored before it was kept have GridFS's uploadDate.
    uploaded = meta.get("created_at") or doc["uploadDate"]
    if uploaded.tzinfo is None:
        uploaded = uploaded.replace(tzinfo=dt.UTC)
    return Attachment(
        attachment_id=doc["_id"],
        meta=AttachmentMeta(meta.get("thread_id", ""), doc.get("filename", ""), meta.get("content_type", ""),
                            int(doc["length"]), meta.get("sha256", "")),
        uploader_party=Party.parse(meta["uploader_party"]),
        created_at=uploaded,
    )
