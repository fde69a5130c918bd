// The log console under load: a job with N stored lines (default 5 million) shown in the real
// LogConsole (offscreen), then 20k lines/s arriving live for a few seconds while the view follows
// the tail. Reports the memory the console added and the event loop's latency. One JSON object.
#include "artifacts/artifactstore.h"
#include "feed/changefeed.h"
#include "logconsole.h"
#include "logmodel.h"
#include "logs/logbus.h"
#include "model/job.h"
#include "scheduler/scheduler.h"
#include "session/localsession.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScrollBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace {
qint64 rssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &l : f.readAll().split('\n'))
        if (l.startsWith("VmRSS:"))
            return l.mid(6).trimmed().split(' ').value(0).toLongLong();
    return 0;
}
} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int stored = argc > 1 ? QByteArray(argv[1]).toInt() : 5000000;
    const int rate = argc > 2 ? QByteArray(argv[2]).toInt() : 20000;
    const int seconds = argc > 3 ? QByteArray(argv[3]).toInt() : 5;
    QTemporaryDir dir;
    cd::store::Database db;
    if (!db.open(dir.filePath(QStringLiteral("bench.db"))))
        return 1;
    cd::store::JobStore jobs(&db);
    cd::store::LogStore logs(&db);
    cd::feed::ChangeFeed changes(&jobs, &logs);
    cd::logs::LogBus bus(&jobs, &logs, &changes);
    const QString id = jobs.insert(cd::model::JobSpec{}).value().id;
    QElapsedTimer fill;
    fill.start();
    QList<QByteArray> batch;
    for (int i = 0; i < 1000; ++i)
        batch << QByteArray("[INFO] 200 https://site.example/page/12345 (depth 2, 31 links, utf-8) fetched fine");
    for (int done = 0; done < stored; done += 1000)
        bus.append(id, cd::model::LogSource::Stdout, batch);
    logs.flush();
    const double fillSecs = fill.elapsed() / 1000.0;

    const qint64 before = rssKb();
    // The console reads through the session the app gives the window (the scheduler is not started).
    cd::artifacts::ArtifactStore artifacts(dir.path(), &jobs);
    cd::scheduler::Scheduler scheduler(&jobs, &bus, &artifacts);
    cd::session::LocalServices services;
    services.jobs = &jobs;
    services.logs = &logs;
    services.bus = &bus;
    services.scheduler = &scheduler;
    services.artifacts = &artifacts;
    cd::session::LocalSession session(services);
    cd::ui::LogConsole console(&session);
    console.resize(1200, 700);
    console.show();
    QElapsedTimer open;
    open.start();
    console.setJob(id);
    QApplication::processEvents();
    const qint64 openMs = open.elapsed();
    // Scroll through the whole log in big jumps, as a user dragging the scroll bar would.
    QScrollBar *bar = console.view()->verticalScrollBar();
    for (int step = 0; step <= 100; ++step) {
        bar->setValue(bar->maximum() * step / 100);
        console.view()->viewport()->repaint();
    }
    console.setFollowing(true);
    const qint64 afterScroll = rssKb();

    // Live phase: `rate` lines/s in 10 ms batches; a 5 ms probe timer measures how late it fires.
    std::vector<double> lagMs;
    QElapsedTimer probeClock;
    probeClock.start();
    qint64 lastProbe = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, &app, [&] {
        const qint64 now = probeClock.nsecsElapsed();
        if (lastProbe)
            lagMs.push_back(std::max(0.0, (now - lastProbe) / 1e6 - 5.0));
        lastProbe = now;
    });
    probe.start(5);
    const int perTick = rate / 100;
    QList<QByteArray> live;
    for (int i = 0; i < perTick; ++i)
        live << QByteArray("[INFO] Progress: 42% - live line arriving while the operator watches");
    QTimer feed;
    feed.setTimerType(Qt::PreciseTimer);
    qint64 fed = 0;
    QObject::connect(&feed, &QTimer::timeout, &app, [&] {
        bus.append(id, cd::model::LogSource::Stdout, live);
        fed += perTick;
    });
    feed.start(10);
    QTimer::singleShot(seconds * 1000, &app, &QApplication::quit);
    app.exec();
    logs.flush();

    std::sort(lagMs.begin(), lagMs.end());
    auto pct = [&](double q) { return lagMs.empty() ? 0.0 : lagMs[static_cast<size_t>(q * (lagMs.size() - 1))]; };
    const QJsonObject out{
        {QStringLiteral("bench"), QStringLiteral("log_console")},
        {QStringLiteral("stored_lines"), stored},
        {QStringLiteral("fill_seconds"), fillSecs},
        {QStringLiteral("open_ms"), openMs},
        {QStringLiteral("rss_added_mib"), (afterScroll - before) / 1024.0},
        {QStringLiteral("rss_after_live_mib"), (rssKb() - before) / 1024.0},
        {QStringLiteral("live_lines_per_s_target"), rate},
        {QStringLiteral("live_lines_fed"), fed},
        {QStringLiteral("rows_at_end"), console.model()->rowCount()},
        {QStringLiteral("following_at_end"), console.following()},
        {QStringLiteral("loop_lag_p50_ms"), pct(0.5)},
        {QStringLiteral("loop_lag_p99_ms"), pct(0.99)},
        {QStringLiteral("loop_lag_max_ms"), pct(1.0)},
        {QStringLiteral("cached_blocks"), console.model()->cachedBlocks()},
    };
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return 0;
}
