#include "placeholdercrawler.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include <csignal>
#include <cstdio>

namespace cd::crawler {

namespace {
volatile std::sig_atomic_t g_stop = 0;

void say(const QByteArray &line)
{
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}
} // namespace

int PlaceholderCrawler::run(const QStringList &args)
{
    std::signal(SIGTERM, [](int) { g_stop = 1; });
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

    QJsonObject params;
    if (!paramsPath.isEmpty()) {
        QFile f(paramsPath);
        if (!f.open(QIODevice::ReadOnly)) {
            say("[ERROR] cannot read params file " + paramsPath.toUtf8());
            return 2;
        }
        params = QJsonDocument::fromJson(f.readAll()).object();
    }
    const QJsonArray keywords = params.value(QStringLiteral("keywords")).toArray();
    QStringList kw;
    for (const auto &k : keywords)
        kw << k.toString();
    say("[WARNING] the built-in crawler is not implemented yet: this placeholder crawls nothing and "
        "only demonstrates the log protocol");
    say("[INFO] keywords: " + kw.join(QStringLiteral(", ")).toUtf8());
    for (int p = 0; p <= 100 && !g_stop; p += 20) {
        say("[INFO] Progress: " + QByteArray::number(p) + "%");
        QThread::msleep(200);
    }
    if (g_stop) {
        say("[WARNING] stopped by SIGTERM");
        return 143;
    }
    QDir().mkpath(outDir);
    QFile csv(outDir + QStringLiteral("/domains.csv"));
    if (csv.open(QIODevice::WriteOnly))
        csv.write("domain,first_url,matched_keywords,title,pages_seen\n");
    const QJsonObject summary{
        {QStringLiteral("status"), QStringLiteral("success")},
        {QStringLiteral("placeholder"), true},
        {QStringLiteral("domains_generated"), QJsonObject{{QStringLiteral("success"), 0},
                                                          {QStringLiteral("total"), params.value(QStringLiteral("domain_count")).toInt()}}},
    };
    say("[SUCCESS] placeholder run finished");
    say("[SUMMARY] " + QJsonDocument(summary).toJson(QJsonDocument::Compact));
    return 0;
}

} // namespace cd::crawler
