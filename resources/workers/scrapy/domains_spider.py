"""Crawldeck sample: a Scrapy spider that finds domains whose pages mention the job's keywords.

Register it as a local profile (Debian: apt-get install python3-scrapy):

  crawldeck --local-profile scrapy="python3 -m scrapy runspider /path/to/domains_spider.py -a params_file={params_file}"

It reads start_urls, keywords, domain_count, max_pages, max_depth, delay_ms and same_site_only from
the params file, obeys robots.txt, prints Crawldeck's log protocol on stdout and writes
domains.csv into the job's output directory (its working directory). Scrapy's own logging goes to
stderr at WARNING level so the job console stays readable.
"""

import csv
import json
import os
import re
import sys
import time
from urllib.parse import urlparse

import scrapy
from scrapy.exceptions import CloseSpider


def say(line):
    print(line, flush=True)


class DomainsSpider(scrapy.Spider):
    name = "crawldeck_domains"
    custom_settings = {
        "LOG_LEVEL": "WARNING",
        "ROBOTSTXT_OBEY": True,
        "TELNETCONSOLE_ENABLED": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "USER_AGENT": "CrawldeckBot/0.1 (scrapy)",
    }

    def __init__(self, params_file=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        path = params_file or os.environ.get("CRAWLDECK_PARAMS_FILE")
        with open(path, encoding="utf-8") as f:
            self.params = json.load(f)
        self.start_urls = self.params.get("start_urls") or []
        self.keywords = [k for k in self.params.get("keywords", []) if k.strip()]
        self.want = int(self.params.get("domain_count", 10))
        self.patterns = [re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, k.split())) + r"(?!\w)", re.I)
                         for k in self.keywords]
        self.allowed_start = {urlparse(u).hostname for u in self.start_urls}
        self.found = {}
        self.pages = 0
        self.started = time.time()
        self.out_dir = os.environ.get("CRAWLDECK_OUTPUT_DIR", os.getcwd())
        say(f"[INFO] scrapy crawl from {len(self.start_urls)} start URL(s) for: {', '.join(self.keywords)}")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        p = spider.params
        crawler.settings.frozen = False
        crawler.settings.set("DEPTH_LIMIT", int(p.get("max_depth", 3)), priority="spider")
        crawler.settings.set("CLOSESPIDER_PAGECOUNT", int(p.get("max_pages", 200)), priority="spider")
        crawler.settings.set("DOWNLOAD_DELAY", int(p.get("delay_ms", 500)) / 1000.0, priority="spider")
        crawler.signals.connect(spider.on_closed, signal=scrapy.signals.spider_closed)
        return spider

    def parse(self, response):
        self.pages += 1
        if not isinstance(response, scrapy.http.TextResponse):
            return
        text = " ".join(response.xpath("//title//text() | //body//text()[not(ancestor::script) and not(ancestor::style)]").getall())
        hits = [k for k, p in zip(self.keywords, self.patterns) if p.search(text)]
        domain = (urlparse(response.url).hostname or "").removeprefix("www.")
        if hits and domain not in self.found and len(self.found) < self.want:
            title = (response.xpath("//title/text()").get() or "").strip()
            self.found[domain] = {"domain": domain, "first_url": response.url, "keywords": hits, "title": title}
            self.write_csv()
            say(f"[SUCCESS] found {domain} ({', '.join(hits)}) at {response.url}")
            say(f"[INFO] Progress: {len(self.found) * 100 // self.want}% - {len(self.found)}/{self.want} domains")
            if len(self.found) >= self.want:
                raise CloseSpider("domain_count")
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if not url.startswith(("http://", "https://")):
                continue
            if self.params.get("same_site_only") and urlparse(url).hostname not in self.allowed_start:
                continue
            yield scrapy.Request(url, callback=self.parse)

    def write_csv(self):
        with open(os.path.join(self.out_dir, "domains.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["domain", "first_url", "matched_keywords", "title", "pages_seen"])
            for d in self.found.values():
                w.writerow([d["domain"], d["first_url"], ";".join(d["keywords"]), d["title"], ""])

    def on_closed(self, spider, reason):
        self.write_csv()
        summary = {"status": "success" if len(self.found) >= self.want else "partial",
                   "domains_generated": {"success": len(self.found), "total": self.want},
                   "pages": self.pages, "stopped_by": reason,
                   "duration_s": round(time.time() - self.started, 2)}
        say("[SUMMARY] " + json.dumps(summary))
