"""The FastAPI backend Crawldeck replaces, re-created for side-by-side benchmarks.

Re-created from the backend's description and code excerpts (routes/crawler_routes.py): a
`CrawlerJob` per job holding an asyncio.Queue of SSE frames, `active_jobs` in memory, and

    POST /api/crawler/start            Bearer token; creates a job, answers {"job_id", ...}
    POST /api/crawler/log              {"job_id", "message"} -> queued on the job (no auth)
    GET  /api/crawler/logs/{job_id}    SSE: ": keepalive" then "data: <line>" frames
    GET  /api/crawler/status/{job_id}
    POST /api/crawler/cancel/{job_id}

The log route is the one measured; it is kept as the original wrote it: a pydantic model, a 404 for
an unknown job, `await job.log(message)` (a put on an unbounded queue: nothing is written
anywhere, a restart loses every line) and the same JSON answer. The original printed each line
("[LOG RECEIVED] id: line"); so does this one (the benchmark sends its stdout to /dev/null).
Starting a job does not call RunPod here: there is nothing to call, and the benchmark only needs
a job that accepts lines.

Run it the way the original ran, one uvicorn worker (Debian 12: python3-fastapi, python3-uvicorn):

    /usr/bin/python3 -m uvicorn crawler_backend:app --app-dir bench/peer --port 8000 --workers 1
"""

import asyncio
import uuid
from typing import Dict, List, Optional, Union

from fastapi import APIRouter, FastAPI, Header, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel


class LogMessage(BaseModel):
    job_id: str
    message: str


class StartRequest(BaseModel):
    domain_count: int = 5
    keywords: Union[List[str], str] = []


class CrawlerJob:
    def __init__(self, job_id: str):
        self.job_id = job_id
        self.queue = asyncio.Queue()  # the SSE stream's frames
        self.task: Optional[asyncio.Task] = None
        self.returncode: Optional[int] = None

    async def log(self, message: str):
        await self.queue.put(f"data: {message}\n\n")


active_jobs: Dict[str, CrawlerJob] = {}
router = APIRouter(prefix="/api/crawler")


@router.post("/start")
async def start_crawler(request: StartRequest, authorization: str = Header(None)):
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(status_code=401, detail="Not authenticated")
    job_id = str(uuid.uuid4())
    active_jobs[job_id] = CrawlerJob(job_id)
    return {
        "job_id": job_id,
        "status": "started",
        "message": f"Crawler started via RunPod with {request.domain_count} domains",
    }


@router.post("/log")
async def receive_log(log_message: LogMessage):
    """
    Receive external log message and push it to the job's log stream.
    """
    job_id = log_message.job_id
    message = log_message.message

    if job_id not in active_jobs:
        raise HTTPException(
            status_code=404,
            detail=f"Job {job_id} not found or already completed"
        )

    print(f"[LOG RECEIVED] {job_id}: {message}")
    job = active_jobs[job_id]
    await job.log(message)

    return {
        "status": "success",
        "job_id": job_id,
        "message": "Log message received and queued"
    }


@router.get("/logs/{job_id}")
async def stream_logs(job_id: str):
    if job_id not in active_jobs:
        raise HTTPException(status_code=404, detail=f"Job {job_id} not found")
    job = active_jobs[job_id]

    async def event_stream():
        yield ": keepalive\n\n"
        while True:
            try:
                item = await asyncio.wait_for(job.queue.get(), timeout=15)
            except asyncio.TimeoutError:
                yield ": keepalive\n\n"
                continue
            if item is None:
                break
            yield item

    return StreamingResponse(event_stream(), media_type="text/event-stream")


@router.get("/status/{job_id}")
async def job_status(job_id: str):
    if job_id not in active_jobs:
        raise HTTPException(status_code=404, detail=f"Job {job_id} not found")
    job = active_jobs[job_id]
    return {
        "job_id": job_id,
        "status": "running" if job.returncode is None else "completed",
        "returncode": job.returncode,
    }


@router.post("/cancel/{job_id}")
async def cancel_job(job_id: str):
    job = active_jobs.pop(job_id, None)
    if job is None:
        raise HTTPException(status_code=404, detail=f"Job {job_id} not found")
    if job.task:
        job.task.cancel()
    job.returncode = -15
    await job.queue.put(None)
    return {"job_id": job_id, "status": "cancelled"}


app = FastAPI()
app.include_router(router)
