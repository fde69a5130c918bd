#pragma once

#include "feed/changefeed.h"
#include "logs/logbus.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QElapsedTimer>
#include <QList>
#include <QString>
#include <QStringList>

#include <map>

namespace cdtest {

// A database with its stores and change feed, wired as one process wires them. A failure to open
// fails the test that uses it.
struct Stores
{
    // `applicationName` names the connection (PostgreSQL's application_name).
    explicit Stores(const QString &location, const QString &applicationName = {});
    cd::store::Database db;
    cd::store::JobStore jobs{&db};
    cd::store::LogStore logs{&db};
    cd::feed::ChangeFeed feed{&jobs, &logs};
};

// Stores with the log bus in front, as a node that takes log lines.
struct LoggingStores : Stores
{
    using Stores::Stores;
    cd::logs::LogBus bus{&jobs, &logs, &feed};
};

// The lines a feed delivered for one job, in order; with `clock` set, when each arrived.
struct Received
{
    QList<qint64> seqs;
    QStringList messages;
    std::map<qint64, qint64> atNs; // seq -> arrival on the clock
    const QElapsedTimer *clock = nullptr;
    void attach(cd::feed::ChangeFeed &feed, const QString &jobId);
};

} // namespace cdtest
