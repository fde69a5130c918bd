"""Crawldeck RunPod serverless worker template.

Deploy this as a RunPod serverless handler (see README.md). Crawldeck sends

    {"input": {"job_id": ..., "callback_url": ..., "data": [keywords], "num_domains": n,
               "params": {...}, "auto_terminate": true}}

The handler posts seed-protocol log lines to callback_url (with retries), reports progress with
runpod.serverless.progress_update (Crawldeck shows it while polling), and returns the result:
known fields (domains, srt, plain) become files in Crawldeck, and any result_url is downloaded.

Run it locally without RunPod:  python3 handler.py --local input.json
"""

import json
import sys
import time
import urllib.error
import urllib.request

try:  # only present inside a RunPod worker image
    import runpod
except ImportError:  # pragma: no cover - local runs
    runpod = None


def post_log(callback_url, job_id, message, attempts=4):
    """POST one protocol line; retry with backoff so a blip does not lose it."""
    if not callback_url:
        print(message, flush=True)
        return False
    body = json.dumps({"job_id": job_id, "message": message}).encode()
    delay = 0.5
    for attempt in range(attempts):
        try:
            req = urllib.request.Request(callback_url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                return 200 <= resp.status < 300
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:
                print(f"log callback refused ({e.code}): {message}", file=sys.stderr, flush=True)
                return False
        except OSError:
            pass
        time.sleep(delay)
        delay *= 2
    print(f"log callback failed after {attempts} attempts: {message}", file=sys.stderr, flush=True)
    return False


def do_work(keywords, num_domains, log, progress):
    """Replace this with the real work. It must call log() and progress() as it goes."""
    domains = []
    for i in range(num_domains):
        time.sleep(0.05)
        domain = f"{(keywords[0] if keywords else 'example').replace(' ', '-')}-{i + 1}.example"
        domains.append(domain)
        pct = (i + 1) * 100 // max(1, num_domains)
        log(f"[INFO] Progress: {pct}% - generated domain {i + 1}/{num_domains}")
        progress(f"Progress: {pct}%")
    return domains


def handler(job):
    inp = job.get("input") or {}
    job_id = inp.get("job_id")
    callback_url = inp.get("callback_url")
    keywords = inp.get("data") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    num_domains = int(inp.get("num_domains") or 5)

    def log(line):
        post_log(callback_url, job_id, line)

    def progress(text):
        if runpod is not None and "id" in job:
            runpod.serverless.progress_update(job, text)

    log(f"[INFO] Starting for keywords: {', '.join(keywords)}")
    started = time.time()
    try:
        domains = do_work(keywords, num_domains, log, progress)
    except Exception as e:  # report, then let RunPod mark the job FAILED
        log(f"[ERROR] {type(e).__name__}: {e}")
        raise
    summary = {"status": "success",
               "domains_generated": {"success": len(domains), "total": num_domains},
               "duration_s": round(time.time() - started, 2)}
    log("[SUCCESS] Generation completed")
    log("[SUMMARY] " + json.dumps(summary))
    result = {"status": "success", "domains": domains, "summary": summary}
    if inp.get("auto_terminate"):
        # Returning refresh_worker makes RunPod retire this worker after the job, so it is not kept
        # warm (and billing) on Crawldeck's behalf. Calling os._exit() here instead would lose the
        # result that is being returned.
        result["refresh_worker"] = True
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--local":
        with open(sys.argv[2], encoding="utf-8") as f:
            payload = json.load(f)
        print(json.dumps(handler({"input": payload.get("input", payload)})), flush=True)
    elif runpod is not None:
        runpod.serverless.start({"handler": handler})
    else:
        sys.exit("usage: handler.py --local input.json  (or run inside a RunPod worker image)")
