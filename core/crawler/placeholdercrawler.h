#pragma once

#include <QStringList>

namespace cd::crawler {

// Stand-in for the built-in crawler until it exists: it speaks the log protocol (progress,
// summary) and writes an empty domains.csv, and says plainly that it crawled nothing.
class PlaceholderCrawler
{
public:
    // `crawldeck worker crawl --params FILE --output DIR`; returns the process exit code.
    static int run(const QStringList &args);
};

} // namespace cd::crawler
