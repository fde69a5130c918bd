#include "crawlworker.h"

#include "crawler.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QSaveFile>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

namespace cd::crawler {

namespace {
int g_fds[2] = {-1, -1};

void say(const QString &line)
{
    const QByteArray b = line.toUtf8() + '\n';
    std::fwrite(b.constData(), 1, static_cast<size_t>(b.size()), stdout);
    std::fflush(stdout);
}

QByteArray csvField(const QString &s)
{
    QByteArray b = s.toUtf8();
    if (b.contains(',') || b.contains('"') || b.contains('\n') || b.contains('\r'))
        b = '"' + b.replace("\"", "\"\"") + '"';
    return b;
}

bool writeDomains(const QString &path, const QList<DomainHit> &hits)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.write("domain,first_url,matched_keywords,title,pages_seen\n");
    for (const DomainHit &h : hits)
        f.write(csvField(h.domain) + ',' + csvField(h.firstUrl.toString()) + ',' + csvField(h.keywords.join(u';')) +
                ',' + csvField(h.title) + ',' + QByteArray::number(h.pagesSeen) + '\n');
    return f.commit();
}
} // namespace

int CrawlWorker::run(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("params"), QStringLiteral("JSON params file"), QStringLiteral("file")});
    parser.addOption({QStringLiteral("output"), QStringLiteral("output directory"), QStringLiteral("dir")});
    parser.process(args);
    QString paramsPath = parser.value(QStringLiteral("params"));
    if (paramsPath.isEmpty())
        paramsPath = qEnvironmentVariable("CRAWLDECK_PARAMS_FILE");
    QString outDir = parser.value(QStringLiteral("output"));
    if (outDir.isEmpty())
        outDir = qEnvironmentVariable("CRAWLDECK_OUTPUT_DIR", QDir::currentPath());

    QJsonObject json;
    if (!paramsPath.isEmpty()) {
        QFile f(paramsPath);
        if (!f.open(QIODevice::ReadOnly)) {
            say(QStringLiteral("[ERROR] cannot read the params file %1").arg(paramsPath));
            return 2;
        }
        json = QJsonDocument::fromJson(f.readAll()).object();
    } else {
        json = QJsonDocument::fromJson(qgetenv("CRAWLDECK_PARAMS")).object();
    }
    const auto params = CrawlParams::fromJson(json);
    if (!params) {
        say(QStringLiteral("[ERROR] ") + params.error().detail);
        return 2;
    }
    if (!QDir().mkpath(outDir)) {
        say(QStringLiteral("[ERROR] cannot create the output directory %1").arg(outDir));
        return 2;
    }

    QFile pages(outDir + QStringLiteral("/pages.jsonl"));
    if (!pages.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        say(QStringLiteral("[ERROR] cannot write %1").arg(pages.fileName()));
        return 2;
    }
    const QString domainsPath = outDir + QStringLiteral("/domains.csv");
    writeDomains(domainsPath, {});

    QNetworkAccessManager nam;
    Crawler crawler(params.value(), &nam);
    QElapsedTimer clock;
    clock.start();
    QString stoppedBy;
    QObject::connect(&crawler, &Crawler::line, &crawler, [](const QString &l) { say(l); });
    QObject::connect(&crawler, &Crawler::page, &crawler, [&pages](const QJsonObject &rec) {
        pages.write(QJsonDocument(rec).toJson(QJsonDocument::Compact) + '\n');
        pages.flush();
    });
    QObject::connect(&crawler, &Crawler::domainFound, &crawler,
                     [&crawler, &domainsPath] { writeDomains(domainsPath, crawler.hits()); });
    QObject::connect(&crawler, &Crawler::finished, &crawler, [&stoppedBy](const QString &why) {
        stoppedBy = why;
        QCoreApplication::quit();
    });

    // SIGTERM/SIGINT: stop the crawl from the event loop, keep what was written.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_fds) == 0) {
        struct sigaction sa = {};
        sa.sa_handler = [](int) {
            const char c = 1;
            [[maybe_unused]] const auto n = ::write(g_fds[0], &c, 1);
        };
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGTERM, &sa, nullptr);
        ::sigaction(SIGINT, &sa, nullptr);
    }
    QSocketNotifier notifier(g_fds[1], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &crawler, [&crawler] {
        char c = 0;
        [[maybe_unused]] const auto n = ::read(g_fds[1], &c, 1);
        say(QStringLiteral("[WARNING] stop requested: finishing with what was found"));
        crawler.stop(QStringLiteral("signal"));
    });

    crawler.start();
    QCoreApplication::exec();

    const QList<DomainHit> hits = crawler.hits();
    writeDomains(domainsPath, hits);
    pages.close();
    const int want = params->domainCount;
    const bool signalled = stoppedBy == u"signal";
    // Nothing fetched is a failure, not an empty success: say why for each start URL.
    const bool nothing = crawler.pagesFetched() == 0 && !signalled;
    const bool partial = !nothing && hits.size() < want;
    QStringList why;
    const auto failures = crawler.startFailures();
    for (auto it = failures.cbegin(); it != failures.cend(); ++it)
        why << it.key() + QStringLiteral(": ") + it.value();
    const QString failure =
        QStringLiteral("no page could be fetched from the start URLs (%1)")
            .arg(why.isEmpty() ? QStringLiteral("no HTML page among them") : why.join(QStringLiteral("; ")));
    QJsonObject summary{
        {QStringLiteral("status"), nothing   ? QStringLiteral("failed")
                                   : partial ? QStringLiteral("partial")
                                             : QStringLiteral("success")},
        {QStringLiteral("partial"), partial},
        {QStringLiteral("domains_generated"),
         QJsonObject{{QStringLiteral("success"), static_cast<int>(hits.size())}, {QStringLiteral("total"), want}}},
        {QStringLiteral("pages"), crawler.pagesFetched()},
        {QStringLiteral("pages_done"), crawler.pagesDone()},
        {QStringLiteral("max_pages"), params->maxPages},
        {QStringLiteral("errors"), crawler.errors()},
        {QStringLiteral("robots_blocked"), crawler.robotsBlocked()},
        {QStringLiteral("stopped_by"), stoppedBy},
        {QStringLiteral("duration_s"), clock.elapsed() / 1000.0},
    };
    if (nothing)
        summary.insert(QStringLiteral("error"), failure);
    QJsonArray domains;
    for (const DomainHit &h : hits)
        domains.append(h.domain);
    summary.insert(QStringLiteral("domains"), domains);
    // The one line an operator reads to know how it went: domains against the wish, pages against
    // the budget, errors.
    const QString tally = QStringLiteral("found %1 of %2 domains in %3 pages (%4 of the %5-page budget used), %6 %7")
                              .arg(hits.size())
                              .arg(want)
                              .arg(crawler.pagesFetched())
                              .arg(crawler.pagesDone())
                              .arg(params->maxPages)
                              .arg(crawler.errors())
                              .arg(crawler.errors() == 1 ? QStringLiteral("error") : QStringLiteral("errors"));
    say(hits.size() >= want ? QStringLiteral("[SUCCESS] ") + tally
                            : QStringLiteral("[WARNING] %1; stopped by %2").arg(tally, stoppedBy));
    say(QStringLiteral("[SUMMARY] ") + QString::fromUtf8(QJsonDocument(summary).toJson(QJsonDocument::Compact)));
    if (signalled)
        return 143;
    if (nothing) {
        // Last, so it is the error line the runner reports.
        say(QStringLiteral("[ERROR] ") + failure);
        return 3;
    }
    return 0;
}

} // namespace cd::crawler
