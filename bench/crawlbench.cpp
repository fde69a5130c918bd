// Built-in crawler throughput on a generated site: H loopback hosts x P pages, each page linking to
// the next pages of its host and to the other hosts. No politeness delay; prints one JSON object.
#include "crawler/crawler.h"
#include "testsite.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int hosts = argc > 1 ? QByteArray(argv[1]).toInt() : 4;
    const int perHost = argc > 2 ? QByteArray(argv[2]).toInt() : 250;
    const int concurrency = argc > 3 ? QByteArray(argv[3]).toInt() : 8;
    cdtest::TestSite site;
    QStringList bases;
    for (int h = 0; h < hosts; ++h)
        bases << site.addHost(10 + h);
    const QString filler = QString(200, u'x');
    for (int h = 0; h < hosts; ++h) {
        for (int p = 0; p < perHost; ++p) {
            QString body = QStringLiteral("<title>host %1 page %2</title><p>%3</p>").arg(h).arg(p).arg(filler);
            for (int k = 1; k <= 3; ++k)
                body += QStringLiteral("<a href=\"/p%1\">n</a>").arg((p + k) % perHost);
            body += QStringLiteral("<a href=\"%1/p%2\">x</a>").arg(bases.at((h + 1) % hosts)).arg(p);
            cdtest::TestSite::Page page;
            page.body = body.toUtf8();
            site.setPage(bases.at(h), QStringLiteral("/p%1").arg(p), page);
        }
    }
    QJsonObject params{{QStringLiteral("start_urls"), QJsonArray{QString(bases.first() + QStringLiteral("/p0"))}},
                       {QStringLiteral("keywords"), QJsonArray{QStringLiteral("nowhere-to-be-found")}},
                       {QStringLiteral("max_pages"), hosts * perHost},
                       {QStringLiteral("max_depth"), 1000},
                       {QStringLiteral("delay_ms"), 0},
                       {QStringLiteral("concurrency"), concurrency}};
    QNetworkAccessManager nam;
    cd::crawler::Crawler crawler(cd::crawler::CrawlParams::fromJson(params).value(), &nam);
    QString stoppedBy;
    QObject::connect(&crawler, &cd::crawler::Crawler::finished, &app, [&](const QString &why) {
        stoppedBy = why;
        app.quit();
    });
    QElapsedTimer t;
    t.start();
    crawler.start();
    app.exec();
    const double secs = static_cast<double>(t.nsecsElapsed()) / 1e9;
    const QJsonObject out{{QStringLiteral("bench"), QStringLiteral("builtin_crawler")},
                          {QStringLiteral("hosts"), hosts},
                          {QStringLiteral("pages"), crawler.pagesFetched()},
                          {QStringLiteral("concurrency"), concurrency},
                          {QStringLiteral("seconds"), secs},
                          {QStringLiteral("pages_per_s"), crawler.pagesFetched() / secs},
                          {QStringLiteral("stopped_by"), stoppedBy}};
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return 0;
}
