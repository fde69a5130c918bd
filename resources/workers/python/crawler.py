#!/usr/bin/env python3
"""Crawldeck sample: a standard-library crawler (no dependencies).

  crawldeck --local-profile pycrawler="python3 /path/to/crawler.py {params_file}"

Breadth-first from start_urls, obeys robots.txt, finds up to domain_count domains whose pages
mention a keyword (whole words, any case), prints Crawldeck's log protocol and writes domains.csv
into the output directory (CRAWLDECK_OUTPUT_DIR, else the working directory).
"""

import csv
import json
import os
import re
import signal
import sys
import time
import urllib.request
import urllib.robotparser
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urldefrag, urlparse

UA = "CrawldeckBot/0.1 (python)"
stop = False


def say(line):
    print(line, flush=True)


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.text, self.title, self._skip, self._in_title = [], [], "", 0, False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if not self._skip:
            self.text.append(data)


def main(params_file):
    global stop
    signal.signal(signal.SIGTERM, lambda *_: globals().__setitem__("stop", True))
    with open(params_file, encoding="utf-8") as f:
        p = json.load(f)
    keywords = [k for k in p.get("keywords", []) if k.strip()]
    patterns = [re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, k.split())) + r"(?!\w)", re.I) for k in keywords]
    want, max_pages, max_depth = int(p.get("domain_count", 10)), int(p.get("max_pages", 200)), int(p.get("max_depth", 3))
    delay = int(p.get("delay_ms", 500)) / 1000.0
    out_dir = os.environ.get("CRAWLDECK_OUTPUT_DIR", os.getcwd())
    queue, seen, robots, last_hit, found, pages, errors = deque(), set(), {}, {}, {}, 0, 0
    for u in p.get("start_urls", []):
        queue.append((u, 0))
        seen.add(u)
    started = time.time()
    say(f"[INFO] crawling from {len(queue)} start URL(s) for: {', '.join(keywords)}")
    while queue and pages < max_pages and len(found) < want and not stop:
        url, depth = queue.popleft()
        parts = urlparse(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in robots:
            rp = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
            try:
                rp.read()
            except OSError:
                rp.disallow_all = True
            robots[origin] = rp
        if not robots[origin].can_fetch(UA, url):
            say(f"[INFO] robots.txt disallows {url}")
            continue
        wait = last_hit.get(origin, 0) + delay - time.time()
        if wait > 0:
            time.sleep(wait)
        last_hit[origin] = time.time()
        pages += 1
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": UA}), timeout=15) as resp:
                ctype = resp.headers.get_content_type()
                if ctype not in ("text/html", "application/xhtml+xml"):
                    say(f"[DEBUG] skipped {url}: {ctype}")
                    continue
                body = resp.read(5 * 1024 * 1024).decode(resp.headers.get_content_charset() or "utf-8", "replace")
                final = resp.url
        except Exception as e:  # per-page errors are logged, never fatal
            errors += 1
            say(f"[WARNING] {url}: {e}")
            continue
        page = Page()
        page.feed(body)
        text = page.title + " " + " ".join(page.text)
        hits = [k for k, pat in zip(keywords, patterns) if pat.search(text)]
        domain = (urlparse(final).hostname or "").removeprefix("www.")
        if hits and domain not in found:
            found[domain] = (final, hits, page.title.strip())
            say(f"[SUCCESS] found {domain} ({', '.join(hits)}) at {final}")
            say(f"[INFO] Progress: {len(found) * 100 // want}% - {len(found)}/{want} domains")
        if depth < max_depth:
            for href in page.links:
                nxt = urldefrag(urljoin(final, href))[0]
                if nxt.startswith(("http://", "https://")) and nxt not in seen:
                    seen.add(nxt)
                    queue.append((nxt, depth + 1))
    with open(os.path.join(out_dir, "domains.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["domain", "first_url", "matched_keywords", "title", "pages_seen"])
        for d, (u, hits, title) in found.items():
            w.writerow([d, u, ";".join(hits), title, ""])
    summary = {"status": "success" if len(found) >= want else "partial",
               "domains_generated": {"success": len(found), "total": want},
               "pages": pages, "errors": errors, "duration_s": round(time.time() - started, 2)}
    say("[SUMMARY] " + json.dumps(summary))
    return 143 if stop else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.environ["CRAWLDECK_PARAMS_FILE"]))
