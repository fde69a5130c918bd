// Log pipeline throughput without HTTP: LogBus::append -> group commit into SQLite (WAL), or into
// PostgreSQL when a third argument gives a postgresql:// URL. Prints one JSON object.
// Usage: crawldeck_bench_store [lines] [lines-per-append] [database]
#include "feed/changefeed.h"
#include "logs/logbus.h"
#include "model/job.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"
#include "store/sqldialect.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int total = argc > 1 ? QByteArray(argv[1]).toInt() : 500000;
    const int batch = argc > 2 ? QByteArray(argv[2]).toInt() : 100;
    QTemporaryDir dir;
    cd::store::Database db;
    const QString location = argc > 3 ? QString::fromLocal8Bit(argv[3]) : dir.filePath(QStringLiteral("bench.db"));
    if (auto st = db.open(location, QStringLiteral("crawldeck-bench")); !st) {
        std::fprintf(stderr, "%s\n", qPrintable(st.error().detail));
        return 1;
    }
    cd::store::JobStore jobs(&db);
    cd::store::LogStore logs(&db);
    cd::feed::ChangeFeed feed(&jobs, &logs);
    cd::logs::LogBus bus(&jobs, &logs, &feed);
    const QString id = jobs.insert(cd::model::JobSpec{}).value().id;
    QList<QByteArray> lines;
    for (int i = 0; i < batch; ++i)
        lines << QByteArray("[INFO] Progress: 42% - a log line of typical length for a crawler's output");
    QElapsedTimer t;
    t.start();
    for (int done = 0; done < total; done += batch) {
        bus.append(id, cd::model::LogSource::Stdout, lines);
        QCoreApplication::processEvents();
    }
    logs.flush();
    const double secs = static_cast<double>(t.nsecsElapsed()) / 1e9;
    const QJsonObject out{{QStringLiteral("bench"), QString(QStringLiteral("log_pipeline_") + db.dialect().name())},
                          {QStringLiteral("lines"), total},
                          {QStringLiteral("batch"), batch},
                          {QStringLiteral("seconds"), secs},
                          {QStringLiteral("lines_per_s"), total / secs},
                          {QStringLiteral("committed"), logs.count(id)}};
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return 0;
}
