#pragma once

#include <QStringList>

namespace cd::crawler {

// `crawldeck worker crawl [--params FILE] [--output DIR]`: the built-in crawler as the local
// runner's child process. Reads the job's params, writes pages.jsonl (as it goes) and domains.csv
// (rewritten on every find, so a cancelled crawl keeps what it found), prints the log protocol.
// SIGTERM stops it cleanly (exit 143).
class CrawlWorker
{
public:
    static int run(const QStringList &args);
};

} // namespace cd::crawler
